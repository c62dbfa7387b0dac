"""A caseworker sets where their digest goes, in a real browser (headless Chromium via
Playwright, the real API on a socket, real PostgreSQL): the address and the language are
recorded on their user (User.ContactRecorded), shown back, and a bad address is refused
naming the field. The screenshot goes to $RECTRACK_SCREENSHOTS (else the test's folder)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from domain.user import User, user_id_for
from domain.values import Language, Role
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import make_user
from tests.e2e.test_web_ui import browser, served, sign_in

pytestmark = pytest.mark.e2e

__all__ = ["browser", "served"]  # fixtures used by name below


def test_a_caseworker_sets_the_address_and_language_of_their_digest(
    served: str, browser: Any, executor: Executor, app: Rectrack, tmp_path: Path
) -> None:
    token = make_user(executor, "hedda", Role.CASEWORKER)
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    sign_in(page, served, token)
    page.get_by_role("link", name="Your e-mail").click()
    page.get_by_role("heading", name="Your e-mail").wait_for()

    page.get_by_label("E-mail", exact=True).fill("hedda at npm")
    page.get_by_role("button", name="Save").click()  # the browser's own check stops it
    assert app.get(User, user_id_for("hedda")).email is None

    page.get_by_label("E-mail", exact=True).fill("hedda@npm.example.org")
    page.get_by_label("Your e-mail is written in").select_option("fr")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Your e-mail goes to hedda@npm.example.org.").wait_for()
    user = app.get(User, user_id_for("hedda"))
    assert (user.email, user.language) == ("hedda@npm.example.org", Language.FR)
    assert page.get_by_label("E-mail", exact=True).input_value() == "hedda@npm.example.org"
    assert page.get_by_label("Your e-mail is written in").input_value() == "fr"
    folder = Path(os.environ.get("RECTRACK_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(folder / "profile.png"), full_page=True)
    page.locator("#language-slot select").select_option("fr")  # the page, in French
    page.get_by_role("heading", name="Votre e-mail").wait_for()
    assert page.get_by_label("Langue de vos e-mails").input_value() == "fr"
    page.screenshot(path=str(folder / "profile-fr.png"), full_page=True)


def test_the_ui_speaks_the_language_of_the_users_profile(
    served: str, browser: Any, executor: Executor, app: Rectrack
) -> None:
    from services.application.commands.users import SetUserContact
    from services.application.executor import Caller

    login = make_user(executor, "camille", Role.CASEWORKER)
    executor.execute(
        SetUserContact(email="camille@npm.example.org", language=Language.FR),
        Caller("test-setup", Role.SYSTEM.value),
        target_id=user_id_for("camille"),
    )
    page = browser.new_page(viewport={"width": 1200, "height": 700})
    sign_in(page, served, login)  # the form in the browser's language, English
    page.get_by_role("link", name="Tâches").wait_for()  # then the profile's: French
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("#language-slot select").input_value() == "fr"
