"""The deadline workflows on their own, in the style of Temporal's samples: each runs on
the time-skipping server with its activities replaced by small fakes registered under the
real activities' names. No database and no relay: the test delivers the relayed facts
itself and asserts which decisions and tasks the workflow asks for, and on which day.

The tests against the real activities and the real store are in test_reply_obligation.py
and test_implementation_and_restarts.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from temporalio import activity
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.ladder import level_start, level_to_raise
from domain.letters import LetterKind
from domain.values import Role
from tests.workflows.conftest import skip_to
from workflows.implementation import ImplementationFollowUpWorkflow
from workflows.messages import (
    Decision,
    DecisionKind,
    EscalationStep,
    EscalationStepDone,
    Fact,
    ImplementationStart,
    LetterRequest,
    Level,
    ObligationStart,
    Relayed,
    TaskRequest,
    letters_queue,
)
from workflows.obligation import ReplyObligationWorkflow
from workflows.worker import WORKFLOWS

D = date
QUEUE = "rectrack-logic"
LADDER = [
    Level("send reminder letter", "head of institution", 14),
    Level("send escalation letter", "ministry", 30),
]
AUTHORITY = "authority-1"


@dataclass
class FakeWorld:
    """Stands in for workflows/activities.py: remembers what the workflow asked for, on
    which day it asked (the server's clock when the activity was scheduled), and answers
    as the store would."""

    ladder: list[Level]
    decisions: list[tuple[DecisionKind, date, int, list[str]]] = field(default_factory=list)
    asked_on: list[date] = field(default_factory=list)
    ladders: list[tuple[str, date]] = field(default_factory=list)
    tasks: list[TaskRequest] = field(default_factory=list)
    cancelled: list[tuple[list[str], date]] = field(default_factory=list)
    letters: list[LetterRequest] = field(default_factory=list)

    @staticmethod
    def today() -> date:
        return activity.info().scheduled_time.date()

    @activity.defn(name="escalation_ladder")
    async def escalation_ladder(self, authority_id: str, on: date) -> list[Level]:
        self.ladders.append((authority_id, on))
        return self.ladder

    @activity.defn(name="record_decision")
    async def record_decision(self, decision: Decision) -> list[str]:
        self.decisions.append(
            (decision.kind, decision.business_date, decision.level, decision.recommendation_ids)
        )
        self.asked_on.append(self.today())
        return decision.recommendation_ids

    @activity.defn(name="open_task")
    async def open_task(self, request: TaskRequest) -> str:
        self.tasks.append(request)
        return f"task:{request.step}"

    @activity.defn(name="record_escalation_step")
    async def record_escalation_step(self, step: EscalationStep) -> EscalationStepDone:
        """The deadline, the level and its task, as the one command records them."""
        # A local activity: its scheduled time is the worker's clock, not the server's;
        # the day the workflow asks on is the one it sends.
        recs = step.recommendation_ids
        if step.deadline is not None:
            # The workflow takes the ladder it follows from the deadline's step.
            self.ladders.append((step.authority_id, step.due_on))
            self.decisions.append((step.deadline, step.missed_on, 0, recs))
            self.asked_on.append(step.today)
        waits = [rung.wait_days for rung in self.ladder]
        level = level_to_raise(step.missed_on, step.today, waits, step.levels_done)
        if not level:
            return EscalationStepDone(self.ladder, recs, 0, [])
        on = level_start(step.missed_on, waits, level)
        rung = self.ladder[level - 1]
        self.decisions.append((DecisionKind.ESCALATION, on, level, recs))
        self.asked_on.append(step.today)
        task_step = f"escalation-{step.due_on}-{level}"
        title = step.task_title.format(
            action=rung.action, addressee=rung.addressee, level=level, count=len(recs)
        )
        self.tasks.append(
            TaskRequest(
                step.workflow_id,
                task_step,
                step.task_kind,
                title,
                Role.CASEWORKER,
                on,
                on + timedelta(days=rung.wait_days),
                recs,
            )
        )
        return EscalationStepDone(self.ladder, recs, level, recs, f"task:{task_step}")

    @activity.defn(name="cancel_tasks")
    async def cancel_tasks(self, workflow_id: str, task_ids: list[str], on: date, why: str) -> int:
        self.cancelled.append((task_ids, on))
        return len(task_ids)

    @activity.defn(name="generate_letter")
    async def generate_letter(self, request: LetterRequest) -> bool:
        self.letters.append(request)
        return True


def fact(kind: Fact, on: date, **fields: Any) -> Relayed:
    """A relayed fact with a fresh event id, as the relay would make it."""
    return Relayed(str(uuid.uuid4()), kind, on, **fields)


@dataclass
class Logic:
    """The time-skipping server with a worker on the fake world; plays the relay."""

    env: WorkflowEnvironment
    world: FakeWorld

    async def skip_to(self, day: date) -> None:
        await skip_to(self.env, day)

    async def start(
        self, run: Any, workflow_id: str, start: object, first: Relayed
    ) -> WorkflowHandle[Any, Any]:
        """Signal-with-start, as the relay starts a workflow with its first fact."""
        return await self.env.client.start_workflow(
            run,
            args=[start, None],
            id=workflow_id,
            task_queue=QUEUE,
            start_signal="deliver",
            start_signal_args=[first],
        )

    async def report_sent(self, recs: list[str]) -> WorkflowHandle[Any, Any]:
        """A report sent on 1 April 2030, due 2 May, with `recs` issued under it."""
        workflow_id = f"obligation-{uuid.uuid4()}"
        handle = await self.start(
            ReplyObligationWorkflow.run,
            workflow_id,
            ObligationStart(workflow_id, AUTHORITY, reminder_days=7),
            fact(Fact.SENT, D(2030, 4, 1), due_on=D(2030, 5, 2)),
        )
        for rec in recs:
            await handle.signal(
                "deliver",
                fact(Fact.JOINED, D(2030, 4, 1), recommendation_id=rec, due_on=D(2030, 5, 2)),
            )
        return handle


@pytest.fixture
async def logic(skipping: WorkflowEnvironment) -> AsyncIterator[Logic]:
    world = FakeWorld(LADDER)
    activities: list[Callable[..., Any]] = [
        world.escalation_ladder,
        world.record_decision,
        world.record_escalation_step,
        world.open_task,
        world.cancel_tasks,
        world.generate_letter,
    ]
    async with (
        Worker(
            skipping.client,
            task_queue=QUEUE,
            workflows=WORKFLOWS,
            activities=activities,
            max_cached_workflows=0,
        ),
        Worker(
            skipping.client,
            task_queue=letters_queue(QUEUE),
            activities=[world.generate_letter],
        ),
    ):
        await skip_to(skipping, D(2030, 4, 1))
        yield Logic(skipping, world)


async def test_an_unanswered_report_is_reminded_missed_and_escalated_on_its_days(
    logic: Logic,
) -> None:
    handle = await logic.report_sent(["rec-a", "rec-b"])
    await logic.skip_to(D(2030, 6, 1))

    both = ["rec-a", "rec-b"]
    assert logic.world.decisions == [
        (DecisionKind.REMINDER, D(2030, 4, 25), 0, both),
        (DecisionKind.MISSED, D(2030, 5, 3), 0, both),
        (DecisionKind.ESCALATION, D(2030, 5, 3), 1, both),
        (DecisionKind.ESCALATION, D(2030, 5, 17), 2, both),
    ]
    # Each on its own day, not before and not all at once.
    assert logic.world.asked_on == [D(2030, 4, 25), D(2030, 5, 3), D(2030, 5, 3), D(2030, 5, 17)]
    assert logic.world.ladders == [(AUTHORITY, D(2030, 5, 2))]
    assert [(t.step, t.business_date, t.due_on) for t in logic.world.tasks] == [
        ("escalation-2030-05-02-1", D(2030, 5, 3), D(2030, 5, 17)),
        ("escalation-2030-05-02-2", D(2030, 5, 17), D(2030, 6, 16)),
    ]
    # A letter for the sending (patch "letters"); the steps' letters are the relay's to
    # hand to their batches, from the events the steps record (patch BATCHED_LETTERS).
    obligation = handle.id
    assert [
        (x.workflow_id, x.kind, x.business_date, x.level, x.origin) for x in logic.world.letters
    ] == [(obligation, LetterKind.TRANSMITTAL, D(2030, 4, 1), None, None)]
    assert all(x.recommendation_ids == both for x in logic.world.letters)

    # The ladder is exhausted; the obligation ends when its letters are sent.
    for task in logic.world.tasks:
        await handle.signal(
            "deliver",
            fact(Fact.TASK_COMPLETED, D(2030, 6, 1), task_id=f"task:{task.step}", outcome="sent"),
        )
    assert await handle.result() == "ended: escalation ladder exhausted"
    assert logic.world.cancelled == []


async def test_a_reply_after_the_first_level_ends_it_and_cancels_the_letter(
    logic: Logic,
) -> None:
    handle = await logic.report_sent(["rec-a"])
    await logic.skip_to(D(2030, 5, 6))
    await handle.signal("deliver", fact(Fact.ANSWERED, D(2030, 5, 6), recommendation_id="rec-a"))
    assert await handle.result() == "ended: every recommendation answered or released"
    assert [d[:3] for d in logic.world.decisions] == [
        (DecisionKind.REMINDER, D(2030, 4, 25), 0),
        (DecisionKind.MISSED, D(2030, 5, 3), 0),
        (DecisionKind.ESCALATION, D(2030, 5, 3), 1),
    ]
    assert logic.world.cancelled == [(["task:escalation-2030-05-02-1"], D(2030, 5, 6))]


async def test_an_extension_for_one_recommendation_leaves_the_other_on_its_date(
    logic: Logic,
) -> None:
    handle = await logic.report_sent(["rec-a", "rec-b"])
    await logic.skip_to(D(2030, 4, 28))
    await handle.signal(
        "deliver",
        fact(Fact.EXTENDED, D(2030, 4, 28), recommendation_id="rec-a", due_on=D(2030, 5, 20)),
    )
    await logic.skip_to(D(2030, 5, 10))
    assert logic.world.decisions == [
        (DecisionKind.REMINDER, D(2030, 4, 25), 0, ["rec-a", "rec-b"]),
        (DecisionKind.MISSED, D(2030, 5, 3), 0, ["rec-b"]),
        (DecisionKind.ESCALATION, D(2030, 5, 3), 1, ["rec-b"]),
    ]
    status = await handle.query(ReplyObligationWorkflow.status)
    assert (status.due_on, status.dues) == (
        D(2030, 5, 2),
        {"rec-a": D(2030, 5, 20), "rec-b": D(2030, 5, 2)},
    )


async def test_an_obligation_with_nothing_issued_under_it_ends_after_a_day_of_grace(
    logic: Logic,
) -> None:
    handle = await logic.report_sent([])
    assert await handle.result() == "ended: no recommendation under this obligation"
    assert logic.world.decisions == [] and logic.world.tasks == []


async def test_an_agreed_implementation_is_verified_then_followed_up_when_overdue(
    logic: Logic,
) -> None:
    handle = await logic.start(
        ImplementationFollowUpWorkflow.run,
        "implementation-rec-a",
        ImplementationStart("rec-a", AUTHORITY),
        fact(Fact.AGREED, D(2030, 4, 10), recommendation_id="rec-a", due_on=D(2030, 6, 1)),
    )
    await logic.skip_to(D(2030, 7, 20))
    assert [(t.step, t.kind, t.business_date, t.due_on) for t in logic.world.tasks] == [
        ("verify-2030-06-01", "verify_implementation", D(2030, 6, 1), D(2030, 7, 1)),
        ("escalation-2030-06-01-1", "escalate_implementation", D(2030, 7, 1), D(2030, 7, 15)),
        ("escalation-2030-06-01-2", "escalate_implementation", D(2030, 7, 15), D(2030, 8, 14)),
    ]
    assert logic.world.decisions == [
        (DecisionKind.IMPLEMENTATION_OVERDUE, D(2030, 7, 1), 0, ["rec-a"]),
        (DecisionKind.ESCALATION, D(2030, 7, 1), 1, ["rec-a"]),
        (DecisionKind.ESCALATION, D(2030, 7, 15), 2, ["rec-a"]),
    ]
    assert logic.world.asked_on == [D(2030, 7, 1), D(2030, 7, 1), D(2030, 7, 15)]
    assert logic.world.ladders == [(AUTHORITY, D(2030, 6, 1))]

    # Assessed as implemented and verified: the follow-up ends and its tasks go.
    await handle.signal(
        "deliver",
        fact(
            Fact.ASSESSED,
            D(2030, 7, 20),
            recommendation_id="rec-a",
            status="implemented",
            verified=True,
        ),
    )
    assert await handle.result() == "ended: implemented and verified"
    assert logic.world.cancelled == [
        (sorted(f"task:{t.step}" for t in logic.world.tasks), D(2030, 7, 20)),
    ]
