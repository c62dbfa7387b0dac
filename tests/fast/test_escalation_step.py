"""RecordEscalationStep, the deadline workflows' one command per ladder step: the missed
deadline, the level raised and its caseworker task are saved together, only on the
recommendations still awaiting a reply, once per command id, and the level is the one the
ladder's dates call for."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest
from temporalio.testing import ActivityEnvironment

from domain.errors import IllegalTransition, InvalidInput
from domain.task import Task, TaskKind
from services.application.commands.deadlines import PassedDeadline, RecordEscalationStep
from services.application.executor import Executor
from services.application.handlers.deadlines import StepRecorded, step_task_opened_by
from services.application.store import Rectrack
from tests.builders import LADDER, Commander, authority, issued_recommendation, reply
from tests.fast.states import stored
from workflows.activities import DeadlineActivities
from workflows.messages import DecisionKind, EscalationStep

DUE = date(2026, 2, 4)
MISSED = DUE + timedelta(days=1)


def step(authority_id: UUID, recs: list[UUID], *, as_of: date = MISSED) -> RecordEscalationStep:
    return RecordEscalationStep(
        workflow_id="obligation-wf",
        authority_id=authority_id,
        recommendation_ids=recs,
        due_on=DUE,
        missed_on=MISSED,
        as_of=as_of,
        deadline=PassedDeadline.REPLY_MISSED,
        awaiting_reply=True,
        task_kind=TaskKind.SEND_ESCALATION_LETTER,
        task_title="{action} to {addressee} (level {level}): {count} unanswered",
    )


def names(store: Rectrack, rec: UUID) -> list[tuple[str, date, int | None]]:
    return [
        (type(e).__name__, e.meta.business_date, getattr(e, "level", None))
        for e in store.events.get(rec)
    ][2:]  # after drafting and issuing


def test_one_command_records_the_deadline_the_level_and_its_task(
    store: Rectrack, run: Commander
) -> None:
    ministry = authority(run, ladder=LADDER)
    recs = [issued_recommendation(run, ministry, text=f"Rec {n}") for n in range(2)]
    before = stored(store)
    result = run(step(ministry, recs), command_id="obligation-wf:missed", on=MISSED)
    assert stored(store) == before + 5  # two facts on each recommendation, one task
    for rec in recs:
        assert names(store, rec) == [
            ("ReplyDeadlineMissed", MISSED, None),
            ("Escalated", MISSED, 1),
        ]
    done = result.detail
    assert isinstance(done, StepRecorded)
    assert (done.level, done.deadline_on, done.escalated) == (
        1,
        [str(r) for r in recs],
        done.deadline_on,
    )
    task = store.get(Task, Task.create_id(step_task_opened_by("obligation-wf", DUE, 1)))
    assert str(task.id) == done.task_id == str(result.aggregate_id)
    assert task.title == "send reminder letter to head of institution (level 1): 2 unanswered"
    assert task.due_on == MISSED + timedelta(days=LADDER[0].wait_days)
    assert task.recommendation_ids == [str(r) for r in recs]
    # Redelivered: the first result, nothing appended.
    again = run(step(ministry, recs), command_id="obligation-wf:missed", on=MISSED)
    assert again.replayed and stored(store) == before + 5


def test_a_recommendation_answered_meanwhile_is_left_out(store: Rectrack, run: Commander) -> None:
    ministry = authority(run, ladder=LADDER)
    answered, waiting = (issued_recommendation(run, ministry, text=f"Rec {n}") for n in range(2))
    reply(run, answered, date(2026, 1, 20))
    done = run(step(ministry, [answered, waiting]), on=MISSED).detail
    assert isinstance(done, StepRecorded)
    assert (done.deadline_on, done.escalated) == ([str(waiting)], [str(waiting)])
    assert [n for n, _, _ in names(store, answered)] == ["ResponseReceived"]
    task = store.get(Task, UUID(str(done.task_id)))
    assert task.recommendation_ids == [str(waiting)] and task.title.endswith(": 1 unanswered")


def test_a_step_no_recommendation_awaits_is_refused_and_appends_nothing(
    store: Rectrack, run: Commander
) -> None:
    ministry = authority(run, ladder=LADDER)
    rec = issued_recommendation(run, ministry)
    reply(run, rec, date(2026, 1, 20))
    before = stored(store)
    with pytest.raises(IllegalTransition):
        run(step(ministry, [rec]), on=MISSED)
    assert stored(store) == before


def test_caught_up_late_it_raises_the_level_the_dates_call_for(
    store: Rectrack, run: Commander
) -> None:
    ministry = authority(run, ladder=LADDER)
    rec = issued_recommendation(run, ministry)
    late = MISSED + timedelta(days=LADDER[0].wait_days + 3)
    done = run(step(ministry, [rec], as_of=late), on=late).detail
    assert isinstance(done, StepRecorded) and done.level == 2
    level_two = MISSED + timedelta(days=LADDER[0].wait_days)
    assert names(store, rec) == [("ReplyDeadlineMissed", MISSED, None), ("Escalated", level_two, 2)]


def test_an_unknown_authority_is_bad_input_naming_the_field(
    store: Rectrack, run: Commander
) -> None:
    rec = issued_recommendation(run, authority(run, ladder=LADDER))
    before = stored(store)
    with pytest.raises(InvalidInput) as error:
        run(step(UUID(int=7), [rec]), on=MISSED)
    assert error.value.field == "authority_id" and stored(store) == before


def test_the_activity_run_again_at_its_first_attempt_appends_nothing(
    store: Rectrack, run: Commander, executor: Executor
) -> None:
    """A first attempt skips the command-log read; a step run again at attempt 1 (the next
    workflow task after a lost worker runs a local activity afresh) still appends nothing
    and reads back what the first run recorded."""
    ministry = authority(run, ladder=LADDER)
    recs = sorted(str(issued_recommendation(run, ministry, text=f"Rec {n}")) for n in range(2))
    request = EscalationStep(
        "obligation-wf",
        "missed-2026-02-04",
        str(ministry),
        recs,
        DUE,
        MISSED,
        MISSED,
        0,
        TaskKind.SEND_ESCALATION_LETTER,
        "{action} to {addressee} (level {level}): {count} unanswered",
        DecisionKind.MISSED,
        awaiting_reply=True,
    )
    activities = DeadlineActivities(executor)
    environment = ActivityEnvironment()
    assert environment.info.attempt == 1
    first = environment.run(activities.record_escalation_step, request)
    before = stored(store)
    again = environment.run(activities.record_escalation_step, request)
    assert stored(store) == before
    assert (first.level, first.deadline_on, first.escalated) == (1, recs, recs)
    assert again == first
