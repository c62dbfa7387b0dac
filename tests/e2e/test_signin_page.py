"""The sign-in page in a real browser (headless Chromium) against the real API: the
form, the session cookie as the browser keeps it (Secure, HttpOnly, SameSite=Strict,
out of the page's reach), the second factor asked for when the account has one, signing
out, a one-time sign-in link used twice, and choosing a password through a reset link.
Screenshots land in the test's tmp folder (sign-in.png, sign-in-code.png, reset.png)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.credentials import totp_now
from services.adapters.settings import Settings
from services.adapters.signin_store import SignInStore, connecting
from services.application.commands.users import EnableTotp
from services.application.executor import Executor
from services.application.signin import RESET_LINK, SIGN_IN_LINK
from services.application.store import Rectrack
from tests.api.conftest import SETUP, TEST_PASSWORD, make_user
from tests.e2e.test_web_ui import browser, served, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / name), full_page=True)


def test_the_sign_in_form_and_the_session_cookie(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    tmp_path: Path,
) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    page.goto(f"{served}/ui/")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.get_by_label("Password").get_attribute("autocomplete") == "current-password"
    assert page.get_by_label("Username").get_attribute("autocomplete") == "username"
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert "the username or the password is wrong" in page.get_by_role("alert").inner_text()
    shot(page, tmp_path, "sign-in.png")

    sign_in(page, served, "carla")
    cookies = {c["name"]: c for c in page.context.cookies()}
    session = cookies["rectrack_session"]
    assert session["httpOnly"] and session["secure"] and session["sameSite"] == "Strict"
    assert "rectrack_session" not in page.evaluate("document.cookie")
    assert "carla" in page.locator("#who").inner_text()
    # A reload keeps the session (and fetches its CSRF token again): a write still works.
    page.reload()
    page.get_by_role("heading", name="Inbox").wait_for()
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(f"{served}/ui/#/recommendations")
    page.get_by_role("heading", name="Sign in").wait_for()


def test_the_code_of_a_second_factor_is_asked_for(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    tmp_path: Path,
) -> None:
    make_user(executor, "hedda", Role.COMPLIANCE)
    executor.execute(EnableTotp(secret=SECRET), SETUP, target_id=user_id_for("hedda"))
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    page.goto(f"{served}/ui/")
    page.get_by_label("Username").fill("hedda")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    code = page.get_by_label("Code from your authenticator app")
    code.wait_for()
    assert "6-digit code" in page.get_by_role("alert").inner_text()
    shot(page, tmp_path, "sign-in-code.png")
    code.fill(totp_now(SECRET))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Inbox").wait_for()


def test_one_time_links_sign_in_once_and_reset_a_password(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    app: Rectrack,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
) -> None:
    make_user(executor, "admin", Role.ADMIN)
    api_app = served
    # Links as `rectrack up` and `rectrack users reset-link` make them: in the same tables.
    store = SignInStore(connecting(database_url), settings.database_schema)
    now = datetime.now(UTC)
    link = store.issue_link(user_id_for("admin"), SIGN_IN_LINK, now, timedelta(minutes=15))
    page = browser.new_page(viewport={"width": 1100, "height": 700})
    page.goto(f"{api_app}/ui/#/link/{link}")
    page.get_by_role("heading", name="Inbox").wait_for()
    assert "#/link/" not in page.url  # the secret leaves the address bar and the history
    other = browser.new_page()
    other.goto(f"{api_app}/ui/#/link/{link}")
    other.get_by_role("alert").wait_for()
    assert "unknown, used or expired" in other.get_by_role("alert").inner_text()

    reset = store.issue_link(user_id_for("admin"), RESET_LINK, now, timedelta(hours=1))
    fresh = browser.new_page(viewport={"width": 1100, "height": 700})
    fresh.goto(f"{api_app}/ui/#/reset/{reset}")
    fresh.get_by_role("heading", name="Choose a new password").wait_for()
    fresh.get_by_label("New password").fill("password12345")
    fresh.get_by_role("button", name="Set the password").click()
    fresh.get_by_role("alert").wait_for()
    assert "common password" in fresh.get_by_role("alert").inner_text()
    shot(fresh, tmp_path, "reset.png")
    fresh.get_by_label("New password").fill("willow-granite-sparrow-62")
    fresh.get_by_role("button", name="Set the password").click()
    fresh.get_by_text("Your password is set").wait_for()
    sign_in(fresh, served, "admin", "willow-granite-sparrow-62")
    assert app.get(User, user_id_for("admin")).password_hash is not None
