"""A recommendation's history page in a real browser shows the written dialogue kept on
other records as sentences: the deadline workflow's letter (kept on the report) and the
e-mail that sent it (an `Email.Sent`), each in business-date order after the issue, with
no field changes of the recommendation's own events wrongly attached to them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from domain.email import message_id_for
from domain.values import Role
from services.application.commands.mail import RecordEmailSent
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import make_user
from tests.builders import Commander
from tests.e2e.test_web_ui import browser, served, sign_in  # noqa: F401 (fixtures)
from tests.mail.test_letter_delivery import a_missed_deadline_letter
from workflows.mail import MAIL_SYSTEM

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("RECTRACK_SCREENSHOTS", "/tmp/rectrack-screenshots"))


def test_the_letter_and_its_email_are_sentences_in_the_history(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    run: Commander,
    app: Rectrack,
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    rec, _, letter = a_missed_deadline_letter(run, executor, app, "registry@justice.example")
    # what the mail activity records once the SMTP server accepted it (workflows/mail.py)
    executor.execute(
        RecordEmailSent(
            key=letter.key,
            purpose="letter",
            message_id=message_id_for(letter.key, "npm.example.org"),
            recipients=["registry@justice.example"],
            email_subject="Délai de réponse dépassé",
            about=[str(rec)],
            attachments=[letter.sha256],
        ),
        MAIL_SYSTEM,
        command_id=f"email:{letter.key}",
        today=letter.business_date,
    )

    page = browser.new_page(viewport={"width": 1200, "height": 1300})
    sign_in(page, served, carla)
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.get_by_role("heading", name="History").wait_for()
    entries = page.locator("ol.timeline > li")
    entries.nth(2).wait_for()
    lines = [entry.inner_text().split("\n")[0] for entry in entries.all()]
    wrote = "The deadline workflow wrote the letter \u201creply deadline missed\u201d, in French."
    sent = (
        "The e-mail service e-mailed \u201cDélai de réponse dépassé\u201d to "
        "registry@justice.example."
    )
    assert wrote in lines and sent in lines, lines
    assert lines.index(wrote) < lines.index(sent)
    for kept_elsewhere in page.locator("ol.timeline > li.correspondence").all():
        assert kept_elsewhere.locator("details").count() == 0  # no "what changed" of others
    assert page.locator("ol.timeline > li.correspondence").count() == 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "history-letter-and-email.png"), full_page=True)
    page.close()
