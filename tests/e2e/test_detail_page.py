"""The recommendation page in a real browser: its reference, the place, visit and report
by name with links (the place's page, the report's entry), and a history of one line per
event for people: display names, the rule an escalation followed, and a completed task
with its outcome. A screenshot is kept for a person to look at."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.recommendation import Recommendation
from domain.task import TaskKind
from domain.user import user_id_for
from domain.values import PlaceType, Role
from services.application.bootstrap import issue_user_token
from services.application.commands.recommendations import (
    RecordEscalation,
    RecordReplyDeadlineMissed,
)
from services.application.commands.registry import RecordVisit, RegisterPlace
from services.application.commands.tasks import ClaimTask, CompleteTask, OpenTask
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.api.conftest import TEST_PASSWORD, set_password
from tests.builders import Commander, authority, sent_report_recommendation
from tests.e2e.test_web_ui import browser, served, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e
WORKFLOW = Caller("system:deadline-workflow", Role.SYSTEM.value)
SHOTS = Path(os.environ.get("RECTRACK_SCREENSHOTS", "/tmp/rectrack-screenshots"))


def test_the_detail_page_reads_as_a_record(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    app: Rectrack,
) -> None:
    issue_user_token(executor, "carla", "Carla Caseworker", Role.CASEWORKER, label="t")
    set_password(executor, "carla", TEST_PASSWORD)
    carla = Caller(str(user_id_for("carla")), Role.CASEWORKER.value)
    run = Commander(executor, carla)
    issued_on = date.today() - timedelta(days=60)
    ministry = authority(run, name="Ministry of Justice")
    prison = run(
        RegisterPlace(name="Prison Nord", place_type=PlaceType.PRISON, authority_id=ministry)
    ).aggregate_id
    visit = run(
        RecordVisit(
            place_id=prison,
            start_date=issued_on - timedelta(days=20),
            end_date=issued_on - timedelta(days=19),
        )
    ).aggregate_id
    report, rec = sent_report_recommendation(
        run,
        ministry,
        issued_on,
        title="Visit to Prison Nord",
        link="https://npm.example.org/reports/prison-nord",
        place_id=prison,
        visit_id=visit,
    )
    due = app.get(Recommendation, rec).reply_due
    assert due is not None and due < date.today()
    executor.execute(RecordReplyDeadlineMissed(due_on=due), WORKFLOW, target_id=rec)
    executor.execute(
        RecordEscalation(level=2, action="letter", addressee="the minister", obligation_id="ob-1"),
        WORKFLOW,
        target_id=rec,
    )
    task = executor.execute(
        OpenTask(
            opened_by="ob-1/level-2",
            kind=TaskKind.SEND_ESCALATION_LETTER,
            title="Send the letter to the minister",
            role=Role.CASEWORKER,
            due_on=date.today(),
            recommendation_ids=[rec],
            workflow_id="ob-1",
        ),
        WORKFLOW,
    ).aggregate_id
    run(ClaimTask(), task, on=date.today())
    completed = CompleteTask(outcome="letter sent", note="signed by the head of the NPM")
    run(completed, task, on=date.today())
    reference = f"NPM-{issued_on.year}-0001"

    page = browser.new_page(viewport={"width": 1200, "height": 1400})
    sign_in(page, served, "carla")
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.get_by_role("heading", name="History").wait_for()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading.startswith(reference)
    page.get_by_text("Carla Caseworker completed the task").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "detail.png"), full_page=True)

    facts = page.locator("dl.facts").inner_text()
    assert "Prison Nord" in facts and "Visit to Prison Nord" in facts
    assert page.get_by_role("link", name="Prison Nord (prison)").get_attribute("href") == (
        f"#/places/{prison}"
    )
    assert page.get_by_role("link", name="Visit to Prison Nord").get_attribute("href") == (
        f"#/reports/{report}"
    )
    assert page.get_by_role("link", name="the document").get_attribute("href") == (
        "https://npm.example.org/reports/prison-nord"
    )
    visit_link = page.locator("dl.facts a", has_text="visit,")
    assert visit_link.get_attribute("href") == f"#/places/{prison}"
    history = page.locator("ol.timeline").inner_text()
    assert f"Carla Caseworker drafted {reference}" in history
    assert f"Reply due {due.isoformat()} missed; ladder level 2: letter to the minister." in history
    assert "letter sent. Note: signed by the head of the NPM." in history
    assert str(carla.actor_id) not in history and "ob-1" not in history

    # the list shows the reference and finds the recommendation by it
    page.goto(f"{served}/ui/#/recommendations?q={reference.lower()}")
    page.locator("table .reference", has_text=reference).wait_for()
    assert page.locator("table tbody tr").count() == 1
    page.close()
