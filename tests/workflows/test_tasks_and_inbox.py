"""Caseworker tasks through the domain (one holder at a time) and the inbox projection
(open tasks by role and assignee, overdue first). The pure deadline schedule is tested in
test_schedule.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from uuid import UUID

import psycopg
import pytest
from pydantic import ValidationError

from domain.errors import IllegalTransition
from domain.task import Task, TaskKind
from domain.values import EventMeta, Role
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from projections.views.inbox import get_task, list_tasks
from services.adapters.settings import Settings
from services.application.commands.tasks import CancelTask, ClaimTask, CompleteTask, OpenTask
from services.application.executor import Caller, CommandResult
from services.application.store import Rectrack
from tests.builders import Commander
from workflows.activities import SYSTEM

D = date


def by(actor: str) -> Caller:
    return Caller(actor, "caseworker")


def open_command(step: str, due_on: date, role: Role = Role.CASEWORKER) -> OpenTask:
    return OpenTask(
        opened_by=f"wf:{step}",
        kind=TaskKind.SEND_ESCALATION_LETTER,
        title=f"Letter {step}",
        role=role,
        due_on=due_on,
        recommendation_ids=[],
        workflow_id="wf",
    )


def open_task(run: Commander, step: str, due_on: date, role: Role = Role.CASEWORKER) -> UUID:
    return run(
        open_command(step, due_on, role),
        on=D(2030, 5, 3),
        command_id=f"wf:{step}:task",
        caller=SYSTEM,
    ).aggregate_id


def test_a_task_is_held_by_one_person_at_a_time(app: Rectrack, run: Commander) -> None:
    task_id = open_task(run, "escalation-1", D(2030, 5, 17))
    assert task_id == Task.create_id("wf:escalation-1")
    on = D(2030, 5, 3)
    run(ClaimTask(), task_id, on=on, caller=by("anna"))
    with pytest.raises(IllegalTransition, match="claimed by anna"):
        run(ClaimTask(), task_id, on=on, caller=by("ben"))
    with pytest.raises(IllegalTransition, match="claimed by anna"):
        run(CompleteTask(outcome="sent"), task_id, on=on, caller=by("ben"))
    # Reassigned through the domain itself: the command resolves a username to a user id,
    # and the rule under test is the one-holder rule, whoever the holder is.
    task = app.get(Task, task_id)
    task.reassign(EventMeta("head-of-unit", "caseworker", on, str(uuid.uuid4())), "ben")
    app.save(task)
    with pytest.raises(ValidationError, match="outcome"):
        run(CompleteTask(outcome="  "), task_id, on=on, caller=by("ben"))
    run(CompleteTask(outcome="letter sent"), task_id, on=D(2030, 5, 6), caller=by("ben"))
    task = app.get(Task, task_id)
    assert (task.state, task.assignee, task.outcome) == ("completed", "ben", "letter sent")
    with pytest.raises(IllegalTransition, match="completed"):
        run(CancelTask(reason="not needed"), task_id, on=on, caller=by("anna"))
    names = [type(e).__qualname__ for e in app.events.get(task_id)]
    assert names == ["Task.Opened", "Task.Claimed", "Task.Reassigned", "Task.Completed"]


def test_a_retried_open_changes_nothing(app: Rectrack, run: Commander) -> None:
    first = open_task(run, "escalation-1", D(2030, 5, 17))
    assert app.find(Task, Task.create_id("wf:escalation-1")) is not None
    replay: CommandResult = run(
        open_command("escalation-1", D(2030, 5, 17)),
        on=D(2030, 5, 3),
        command_id="wf:escalation-1:task",
        caller=SYSTEM,
    )
    assert (replay.aggregate_id, replay.version, replay.replayed) == (first, 1, True)


@pytest.fixture
def inbox(settings: Settings, database_url: str) -> Iterator[Projector]:
    projector = Projector(settings, database_url, ["inbox"])
    projector.start()
    yield projector
    projector.stop()


def test_the_inbox_lists_overdue_first_then_by_due_date(
    run: Commander, inbox: Projector, database_url: str, schema: str
) -> None:
    later = open_task(run, "a", D(2030, 6, 30))
    overdue_late = open_task(run, "b", D(2030, 5, 20))
    sooner = open_task(run, "c", D(2030, 6, 10))
    overdue_early = open_task(run, "d", D(2030, 5, 10))
    other_role = open_task(run, "e", D(2030, 5, 1), role=Role.COMPLIANCE)
    done = open_task(run, "f", D(2030, 5, 2))
    run(ClaimTask(), sooner, on=D(2030, 5, 3), caller=by("anna"))
    last = run(
        CompleteTask(outcome="sent"), done, on=D(2030, 5, 3), caller=by("anna")
    ).notification_id
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
