"""The inbox page: each task says which recommendation it is about and for which
authority, the filters show their counts, and a head of unit gives a task to a person
picked by name."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.task import Task, TaskKind
from domain.values import Role
from services.application.bootstrap import issue_user_token
from services.application.commands.tasks import OpenTask
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import SETUP, TEST_PASSWORD, set_password
from tests.builders import Commander, authority, issued_recommendation
from tests.e2e.test_web_ui import browser, served, sign_in

pytestmark = pytest.mark.e2e

__all__ = ["browser", "served"]  # fixtures used by name below


def test_inbox_filters_and_reassigns_by_name(
    served: str, browser: Any, app: Rectrack, executor: Executor, run: Commander, tmp_path: Path
) -> None:
    today = date.today()
    justice = authority(run, name="Ministry of Justice")
    rec = issued_recommendation(
        run, justice, today - timedelta(days=60), text="Install call bells in all cells"
    )
    task = run(
        OpenTask(
            opened_by="obligation-x:escalation-1",
            kind=TaskKind.SEND_ESCALATION_LETTER,
            title="send reminder letter to head of institution (level 1)",
            role=Role.CASEWORKER,
            due_on=today - timedelta(days=2),
            recommendation_ids=[rec],
            workflow_id="obligation-x",
        ),
        caller=SETUP,
        on=today,
    ).aggregate_id
    issue_user_token(executor, "carla", "Carla Mendes", Role.CASEWORKER, label="t")
    issue_user_token(executor, "hedda", "Hedda Lund", Role.COMPLIANCE, label="t")
    set_password(executor, "hedda", TEST_PASSWORD)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    sign_in(page, served, "hedda")
    page.goto(f"{served}/ui/#/inbox?view=open")
    row = page.locator(f"tr[data-task='{task}']")
    row.wait_for()
    assert "Install call bells in all cells" in row.inner_text()
    assert "Ministry of Justice" in row.inner_text()
    assert "Ministry of Justice (1)" in page.locator("select[name=authority_id]").inner_text()
    assert "Overdue only (1)" in page.locator("form.filters").inner_text()
    form = row.locator("form[data-task-action=reassign]")
    form.locator("select[name=assignee]").select_option(label="Carla Mendes")
    form.get_by_role("button", name="Reassign").click()
    page.get_by_text("Task given to Carla Mendes.").wait_for()
    page.locator(f"tr[data-task='{task}']").get_by_text("Carla Mendes").wait_for()
    assert app.get(Task, UUID(str(task))).state == "claimed"
    shot = Path(os.environ.get("RECTRACK_SCREENSHOTS", tmp_path)) / "inbox.png"
    page.screenshot(path=str(shot), full_page=True)
    page.close()
