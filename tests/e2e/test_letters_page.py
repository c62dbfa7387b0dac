"""Letters in a real browser: on a recommendation's page, the letter the deadline
workflow wrote is listed as a sentence (kind, date, language, addressee, who wrote it)
and downloads as the very PDF whose hash the event holds; a caseworker writes an
escalation letter by hand through the form; the report's page lists its letters too.
Screenshots are kept for a person to look at."""

from __future__ import annotations

import hashlib
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.recommendation import Recommendation
from domain.report import Report
from domain.user import user_id_for
from domain.values import Language, Role
from services.application.commands.registry import RecordAuthorityContact
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.api.conftest import make_user
from tests.builders import (
    Commander,
    authority,
    missed_deadline_letter,
    sent_report_recommendation,
)
from tests.e2e.test_web_ui import browser, served, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("RECTRACK_SCREENSHOTS", "/tmp/rectrack-screenshots"))


def test_letters_listed_downloaded_and_written_on_the_pages(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    app: Rectrack,
    tmp_path: Path,
) -> None:
    token = make_user(executor, "carla", Role.CASEWORKER)
    run = Commander(executor, Caller(str(user_id_for("carla")), Role.CASEWORKER.value))
    issued_on = date.today() - timedelta(days=50)
    ministry = authority(run, name="Ministère de la Justice")
    run(
        RecordAuthorityContact(
            postal_address="Administration pénitentiaire\n13 place Vendôme\n75001 Paris",
            language=Language.FR,
        ),
        ministry,
    )
    report, rec = sent_report_recommendation(
        run, ministry, issued_on, title="Visite de la maison d'arrêt de Fresnes"
    )
    due = app.get(Recommendation, rec).reply_due
    assert due is not None and due < date.today()
    missed_deadline_letter(
        executor, report, ministry, rec, due, command_id="obligation-test:missed:letter"
    )
    (missed,) = app.get(Report, report).letters
    pdf = missed["documents"][0]

    page = browser.new_page(viewport={"width": 1200, "height": 1300}, accept_downloads=True)
    sign_in(page, served, token)
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.get_by_role("heading", name="Letters to the authority").wait_for()
    listed = page.locator("ul.letters li").first
    sentence = listed.inner_text()
    assert "Reply deadline missed, dated" in sentence
    assert "in French, to Ministère de la Justice, written by the deadline workflow." in sentence

    with page.expect_download() as downloading:
        listed.get_by_role("button", name="PDF").click()
    download = downloading.value
    assert download.suggested_filename == pdf["filename"]
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == pdf["sha256"]

    # a caseworker writes the first escalation letter by hand
    page.get_by_text("Write a letter").click()
    writing = page.locator("#letter-form")
    writing.get_by_label("Kind").select_option("escalation")
    writing.get_by_label("Escalation level").select_option("1")
    writing.get_by_role("button", name="Write the letter").click()
    page.get_by_text("The letter was written.").wait_for()
    page.locator("ul.letters li", has_text="Escalation, level 1").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "letters-recommendation.png"), full_page=True)
    letters = app.get(Report, report).letters
    assert [(x["kind"], x["level"], x["actor_id"]) for x in letters] == [
        ("deadline_missed", None, "system:deadline-workflow"),
        ("escalation", 1, str(user_id_for("carla"))),
    ]

    # the report's page lists both, with a link from the recommendation's page
    page.goto(f"{served}/ui/#/reports/{report}")
    page.get_by_role("heading", name="Visite de la maison d'arrêt de Fresnes").wait_for()
    page.locator("ul.letters li").nth(1).wait_for()
    assert page.locator("ul.letters li").count() == 2
    assert "Sent to Ministère de la Justice on" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "letters-report.png"), full_page=True)

    # the authority's page shows where its letters go, and in which language
    page.goto(f"{served}/ui/#/authorities/{ministry}")
    page.get_by_role("heading", name="Contact").wait_for()
    contact = page.locator("dl.contact").inner_text()
    assert "13 place Vendôme" in contact and "French" in contact
    page.screenshot(path=str(SHOTS / "authority-contact.png"), full_page=True)

    # in French, the letters read as French sentences
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.locator("#language").select_option(label="Français")
    page.get_by_role("heading", name="Lettres à l\u2019autorité").wait_for()
    first = page.locator("ul.letters li").first.inner_text()
    assert first.startswith("Lettre « Délai de réponse dépassé », datée du")
    assert "en français, à Ministère de la Justice" in first
    page.screenshot(path=str(SHOTS / "letters-recommendation-fr.png"), full_page=False)
    page.close()
