"""Closing or withdrawing a recommendation in the web UI asks for confirmation first: a
caseworker who cancels the question sends nothing, and one who confirms closes it, with
the reason the form requires."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from domain.values import Role
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import make_user
from tests.builders import Commander, authority, issued_recommendation
from tests.e2e.test_web_ui import browser, event_names, served, sign_in

pytestmark = pytest.mark.e2e

__all__ = ["browser", "served"]  # fixtures used by name below


def test_closing_asks_first_and_needs_a_reason(
    served: str, browser: Any, app: Rectrack, executor: Executor, run: Commander, tmp_path: Any
) -> None:
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=10))
    token = make_user(executor, "carla", Role.CASEWORKER)
    page = browser.new_page()
    sign_in(page, served, token)
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    form = page.locator("form[data-action=close]")
    form.wait_for()
    assert form.locator("textarea[name=reason]").get_attribute("required") is not None
    asked: list[str] = []

    def answer(accept: bool) -> Any:
        def handle(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept() if accept else dialog.dismiss()

        return handle

    form.locator("textarea[name=reason]").fill("Implemented and verified at the follow-up visit")
    page.once("dialog", answer(False))
    form.get_by_role("button", name="Close").click()
    page.wait_for_timeout(500)
    assert asked and "Close this recommendation?" in asked[0] and "final" in asked[0]
    assert "Closed" not in event_names(app, rec)

    page.once("dialog", answer(True))
    form.get_by_role("button", name="Close").click()
    page.get_by_text("Close: recorded.").wait_for()
    assert len(asked) == 2 and event_names(app, rec)[-1] == "Closed"
    page.screenshot(path=str(tmp_path / "closed.png"), full_page=True)
    page.close()
