"""A role that requires a second factor, in a real browser: the first sign-in of a
compliance officer shows the key as a QR code and as text, and signing in with the
first code from it records the second factor (TotpEnabled) and opens the session.
Screenshot: enrol.png in the test's tmp folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.credentials import totp_now
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import TEST_PASSWORD, make_user
from tests.e2e.test_web_ui import browser, served  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"totp_required_roles": "compliance"})


def test_a_role_that_requires_a_second_factor_enrols_at_first_sign_in(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    app: Rectrack,
    tmp_path: Path,
) -> None:
    make_user(executor, "hedda", Role.COMPLIANCE)
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(f"{served}/ui/")
    page.get_by_label("Username").fill("hedda")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    qr = page.get_by_role("img", name="QR code of the key")
    qr.wait_for()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    link = page.get_by_role("link", name="Open in an authenticator app")
    assert (link.get_attribute("href") or "").startswith("otpauth://totp/rectrack:hedda?")
    page.screenshot(path=str(tmp_path / "enrol.png"), full_page=True)
    assert app.get(User, user_id_for("hedda")).totp_secret is None
    page.get_by_label("Code from your authenticator app").fill(totp_now(secret))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inbox").wait_for()
    assert app.get(User, user_id_for("hedda")).totp_secret == secret
