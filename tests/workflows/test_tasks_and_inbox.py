"""Caseworker tasks through the domain (one holder at a time) and the inbox projection
(open tasks by role and assignee, overdue first), plus the pure deadline schedule."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from uuid import UUID

import psycopg
import pytest

from domain.errors import IllegalTransition, InvalidInput
from domain.task import Task, TaskKind
from domain.values import EventMeta, Role
from projections.catchup import wait_until_caught_up
from projections.inbox import get_task, list_tasks
from projections.runner import Projector
from services.adapters.settings import Settings
from services.application.store import Rectrack
from workflows.messages import Level
from workflows.schedule import Step, next_reply_step

D = date


def meta(actor: str, on: date = D(2030, 5, 3), reason: str | None = None) -> EventMeta:
    return EventMeta(actor, "caseworker", on, str(uuid.uuid4()), reason)


def open_task(app: Rectrack, step: str, due_on: date, role: Role = Role.CASEWORKER) -> UUID:
    return app.open_task(
        EventMeta("system:deadline-workflow", "system", D(2030, 5, 3), f"wf:{step}:task"),
        opened_by=f"wf:{step}",
        kind=TaskKind.SEND_ESCALATION_LETTER,
        title=f"Letter {step}",
        role=role,
        due_on=due_on,
        recommendation_ids=[],
        workflow_id="wf",
    ).aggregate_id


def test_a_task_is_held_by_one_person_at_a_time(app: Rectrack) -> None:
    task_id = open_task(app, "escalation-1", D(2030, 5, 17))
    assert task_id == Task.create_id("wf:escalation-1")
    app.claim_task(meta("anna"), task_id)
    with pytest.raises(IllegalTransition, match="claimed by anna"):
        app.claim_task(meta("ben"), task_id)
    with pytest.raises(IllegalTransition, match="claimed by anna"):
        app.complete_task(meta("ben"), task_id, outcome="sent")
    app.reassign_task(meta("head-of-unit"), task_id, assignee="ben")
    with pytest.raises(InvalidInput, match="outcome"):
        app.complete_task(meta("ben"), task_id, outcome="  ")
    app.complete_task(meta("ben", D(2030, 5, 6)), task_id, outcome="letter sent")
    task = app.get_task(task_id)
    assert (task.state, task.assignee, task.outcome) == ("completed", "ben", "letter sent")
    with pytest.raises(IllegalTransition, match="completed"):
        app.cancel_task(meta("anna", reason="not needed"), task_id)
    names = [type(e).__qualname__ for e in app.events.get(task_id)]
    assert names == ["Task.Opened", "Task.Claimed", "Task.Reassigned", "Task.Completed"]


def test_a_retried_open_changes_nothing(app: Rectrack) -> None:
    first = open_task(app, "escalation-1", D(2030, 5, 17))
    assert app.find_task("wf:escalation-1") is not None
    replay = app.open_task(
        EventMeta("system:deadline-workflow", "system", D(2030, 5, 3), "wf:escalation-1:task"),
        opened_by="wf:escalation-1",
        kind=TaskKind.SEND_ESCALATION_LETTER,
        title="Letter escalation-1",
        role=Role.CASEWORKER,
        due_on=D(2030, 5, 17),
        recommendation_ids=[],
        workflow_id="wf",
    )
    assert (replay.aggregate_id, replay.version, replay.replayed) == (first, 1, True)


@pytest.fixture
def inbox(settings: Settings, database_url: str) -> Iterator[Projector]:
    projector = Projector(settings, database_url, ["inbox"])
    projector.start()
    yield projector
    projector.stop()


def test_the_inbox_lists_overdue_first_then_by_due_date(
    app: Rectrack, inbox: Projector, database_url: str, schema: str
) -> None:
    later = open_task(app, "a", D(2030, 6, 30))
    overdue_late = open_task(app, "b", D(2030, 5, 20))
    sooner = open_task(app, "c", D(2030, 6, 10))
    overdue_early = open_task(app, "d", D(2030, 5, 10))
    other_role = open_task(app, "e", D(2030, 5, 1), role=Role.COMPLIANCE)
    done = open_task(app, "f", D(2030, 5, 2))
    app.claim_task(meta("anna"), sooner)
    last = app.complete_task(meta("anna"), done, outcome="sent").notification_id
    assert last is not None
    wait_until_caught_up(database_url, schema, last, timeout=30, names=["inbox"])

    today = D(2030, 6, 1)
    with psycopg.connect(database_url, autocommit=True) as conn:
        items, total = list_tasks(conn, schema, role="caseworker", today=today)
        mine, _ = list_tasks(conn, schema, assignee="anna", today=today)
        finished, _ = list_tasks(conn, schema, state="completed", today=today)
        row = get_task(conn, schema, overdue_late, today=today)
    assert total == 4
    assert [i["task_id"] for i in items] == [overdue_early, overdue_late, sooner, later]
    assert [(i["overdue"], i["days_overdue"]) for i in items] == [
        (True, 22),
        (True, 12),
        (False, 0),
        (False, 0),
    ]
    assert [(i["task_id"], i["state"]) for i in mine] == [(sooner, "claimed")]
    assert [i["task_id"] for i in finished] == [done]
    assert row is not None and row["due_on"] == D(2030, 5, 20)
    assert other_role not in [i["task_id"] for i in items]


LADDER = [Level("letter", "head of institution", 14), Level("letter", "ministry", 30)]


def test_the_schedule_jumps_to_the_level_the_dates_call_for() -> None:
    common = {
        "due_on": D(2030, 2, 6),
        "reminder_days": 7,
        "reminded": False,
        "ladder": LADDER,
    }
    # Imported on 1 April: the reminder's day came before the due date was known.
    assert next_reply_step(
        today=D(2030, 4, 1), known_since=D(2030, 4, 1), missed_on=None, levels_done=0, **common
    ) == Step("missed", D(2030, 2, 7))
    assert next_reply_step(
        today=D(2030, 4, 1),
        known_since=D(2030, 4, 1),
        missed_on=D(2030, 2, 7),
        levels_done=0,
        **common,
    ) == Step("escalation", D(2030, 2, 21), 2)
    # Known in time: the reminder comes first, seven days before the due date.
    assert next_reply_step(
        today=D(2030, 1, 7), known_since=D(2030, 1, 7), missed_on=None, levels_done=0, **common
    ) == Step("reminder", D(2030, 1, 30))
