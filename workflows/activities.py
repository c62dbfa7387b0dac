"""The workflows' only way to touch the world: read the authority's ladder, append a
decision to the recommendations' histories, open or cancel a caseworker task. Every
change runs through the one executor, as the system's deadline workflow, with command ids
made of the workflow id and the step, so a retried activity or a replayed workflow
appends nothing twice.

Each activity first asks the command log whether its command id was already applied and
returns at once if so: the executor would also answer a repeated command with its first
result, but only after a failed insert, and the cheap read keeps retries off the write
path altogether.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from temporalio import activity

from domain.authority import Authority
from domain.errors import DomainError, IllegalTransition, NotFound
from domain.recommendation import Recommendation
from domain.task import Task, TaskState
from domain.values import Role, Status
from services.application.commands.base import Command
from services.application.commands.deadlines import PassedDeadline, RecordEscalationStep
from services.application.commands.letters import GenerateLetter
from services.application.commands.recommendations import (
    RecordEscalation,
    RecordImplementationOverdue,
    RecordReplyDeadlineMissed,
    RecordReplyReminder,
)
from services.application.commands.tasks import CancelTask, OpenTask
from services.application.executor import Caller, CommandResult, Executor
from services.application.handlers.deadlines import StepRecorded, step_task_opened_by
from workflows.messages import (
    Decision,
    DecisionKind,
    EscalationStep,
    EscalationStepDone,
    LetterRequest,
    Level,
    TaskRequest,
)

log = structlog.get_logger(__name__)

SYSTEM = Caller("system:deadline-workflow", Role.SYSTEM.value)


def beat(detail: str = "") -> None:
    """Tells Temporal this activity's worker is alive (the workflows set a heartbeat
    timeout, so work on a killed worker is retried within seconds, not at the
    start-to-close timeout). A no-op outside an activity, as in unit tests, and in a
    local activity (its workflow task is what times out)."""
    if activity.in_activity() and not activity.info().is_local:
        activity.heartbeat(detail)


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Temporal cancels a thread's activity by raising in it at any bytecode (a local
    activity's workflow evicted mid-burst): a command's write waits for that until its
    transaction has ended, so that it is neither half-read nor wasted."""
    if activity.in_activity():
        with activity.shield_thread_cancel_exception():
            yield
    else:
        yield


def first_attempt() -> bool:
    """Whether this is the activity's first attempt, when its command is almost never
    applied yet: the step then skips the command-log read (one round trip per step of a
    burst). The executor's idempotency still answers the rare exception (a local
    activity run again at attempt 1 by the next workflow task after a worker was lost):
    the step's rule refuses it or its command-log row collides, and the first result is
    read back."""
    return activity.in_activity() and activity.info().attempt == 1


def decision_command(decision: Decision) -> Command:
    """The command that appends `decision` to one recommendation's history."""
    reason = f"workflow {decision.workflow_id}"
    match decision.kind:
        case DecisionKind.REMINDER:
            return RecordReplyReminder(
                due_on=decision.due_on, reason=reason, letters_batched=decision.letters_batched
            )
        case DecisionKind.MISSED:
            return RecordReplyDeadlineMissed(due_on=decision.due_on, reason=reason)
        case DecisionKind.IMPLEMENTATION_OVERDUE:
            return RecordImplementationOverdue(due_on=decision.due_on, reason=reason)
        case DecisionKind.ESCALATION:
            return RecordEscalation(
                level=decision.level,
                action=decision.action,
                addressee=decision.addressee,
                obligation_id=decision.workflow_id,
                reason=reason,
            )


class DeadlineActivities:
    """Writes through `executor`; reads the record from the executor's store."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.store = executor.store

    def _execute(self, command: Command, caller: Caller, **options: Any) -> CommandResult:
        with uninterrupted():
            return self.executor.execute(command, caller, **options)

    @activity.defn
    def escalation_ladder(self, authority_id: str, on: date) -> list[Level]:
        beat()
        authority = self.store.get(Authority, UUID(authority_id))
        return [
            Level(rung.action, rung.addressee, rung.wait_days) for rung in authority.ladder_on(on)
        ]

    @activity.defn
    def record_escalation_step(self, step: EscalationStep) -> EscalationStepDone:
        """The deadline, the ladder level and its task in one command (RecordEscalationStep),
        its id the workflow id and the step. A redelivered step finds its command applied
        and reads back what it recorded; a step that applies to nobody any more records
        nothing and says so."""
        command_id = f"{step.workflow_id}:{step.step}"
        beat()
        if not first_attempt() and self.executor.applied(command_id):
            return self._step_recorded(step, command_id)
        deadline = (
            {
                DecisionKind.MISSED: PassedDeadline.REPLY_MISSED,
                DecisionKind.IMPLEMENTATION_OVERDUE: PassedDeadline.IMPLEMENTATION_OVERDUE,
            }.get(step.deadline)
            if step.deadline
            else None
        )
        try:
            result = self._execute(
                RecordEscalationStep(
                    workflow_id=step.workflow_id,
                    authority_id=UUID(step.authority_id),
                    recommendation_ids=[UUID(r) for r in step.recommendation_ids],
                    due_on=step.due_on,
                    missed_on=step.missed_on,
                    as_of=step.today,
                    levels_done=step.levels_done,
                    deadline=deadline,
                    awaiting_reply=step.awaiting_reply,
                    task_kind=step.task_kind,
                    task_title=step.task_title,
                    letters_batched=step.letters_batched,
                    reason=f"workflow {step.workflow_id}",
                ),
                SYSTEM,
                command_id=command_id,
                today=step.missed_on,
            )
        except IllegalTransition as error:
            log.info("step no longer applies", command_id=command_id, reason=str(error))
            return EscalationStepDone(
                self.escalation_ladder(step.authority_id, step.due_on), [], 0, []
            )
        if not isinstance(result.detail, StepRecorded):  # a concurrent retry won
            return self._step_recorded(step, command_id)
        done = result.detail
        return EscalationStepDone(
            [Level(r.action, r.addressee, r.wait_days) for r in done.ladder],
            done.deadline_on,
            done.level,
            done.escalated,
            done.task_id,
        )

    def _step_recorded(self, step: EscalationStep, command_id: str) -> EscalationStepDone:
        """What an applied step recorded, read back from the recommendations' events."""
        deadline_on: list[str] = []
        escalated: list[str] = []
        level = 0
        for rec in step.recommendation_ids:
            for event in self.store.events.get(UUID(rec)):
                if event.meta.command_id != command_id:  # type: ignore[attr-defined]
                    continue
                if isinstance(event, Recommendation.Escalated):  # type: ignore[attr-defined]
                    escalated.append(rec)
                    level = event.level
                elif rec not in deadline_on:
                    deadline_on.append(rec)
        task_id = (
            str(Task.create_id(step_task_opened_by(step.workflow_id, step.due_on, level)))
            if escalated
            else None
        )
        ladder = self.escalation_ladder(step.authority_id, step.due_on)
        return EscalationStepDone(ladder, deadline_on, level, escalated, task_id)

    @activity.defn
    def record_decision(self, decision: Decision) -> list[str]:
        """Append the decision to each recommendation; returns those it applies to. A
        recommendation answered or withdrawn since the workflow last heard is skipped."""
        recorded = []
        for rec in decision.recommendation_ids:
            beat(rec)
            # Command ids are global keys: one per recommendation of a report obligation.
            command_id = f"{decision.workflow_id}:{decision.step}:{rec}"
            bound = log.bind(command_id=command_id, recommendation_id=rec)
            if self.executor.applied(command_id):
                recorded.append(rec)
                continue
            if not self._still_applies(decision, rec):
                bound.info("decision no longer applies", kind=decision.kind, reason="answered")
                continue
            try:
                self._execute(
                    decision_command(decision),
                    SYSTEM,
                    command_id=command_id,
                    today=decision.business_date,
                    target_id=UUID(rec),
                )
            except IllegalTransition as error:
                # The relay has not told the workflow yet (a reply is on its way).
                bound.info("decision no longer applies", kind=decision.kind, reason=str(error))
                continue
            except Exception:
                bound.exception("recording a workflow decision failed", kind=decision.kind)
                raise
            recorded.append(rec)
        return recorded

    def _still_applies(self, decision: Decision, rec: str) -> bool:
        """A reply obligation escalates only recommendations still awaiting a reply (the
        domain refuses a reminder or missed deadline on the others by itself, but an
        escalation is also what an overdue implementation gets, so it cannot)."""
        if decision.kind != DecisionKind.ESCALATION or not decision.workflow_id.startswith(
            "obligation-"
        ):
            return True
        try:
            return self.store.get(Recommendation, UUID(rec)).status == Status.ISSUED
        except NotFound:
            return False

    @activity.defn
    def open_task(self, request: TaskRequest) -> str:
        opened_by = f"{request.workflow_id}:{request.step}"
        command_id = f"{opened_by}:task"
        bound = log.bind(command_id=command_id, recommendation_ids=request.recommendation_ids)
        beat()
        existing = self.store.find(Task, Task.create_id(opened_by))
        if existing is not None:
            return str(existing.id)
        try:
            result = self._execute(
                OpenTask(
                    opened_by=opened_by,
                    kind=request.kind,
                    title=request.title,
                    role=request.role,
                    due_on=request.due_on,
                    recommendation_ids=[UUID(r) for r in request.recommendation_ids],
                    workflow_id=request.workflow_id,
                    reason=f"workflow {request.workflow_id}",
                ),
                SYSTEM,
                command_id=command_id,
                today=request.business_date,
            )
        except Exception:
            bound.exception("opening a caseworker task failed")
            raise
        bound.info("task opened", task_id=str(result.aggregate_id))
        return str(result.aggregate_id)

    @activity.defn
    def cancel_tasks(self, workflow_id: str, task_ids: list[str], on: date, why: str) -> int:
        """Cancel the workflow's tasks nobody needs any more (the reply came after the
        escalation letter was put in someone's inbox). Returns how many were cancelled."""
        cancelled = 0
        for task_id in task_ids:
            beat(task_id)
            command_id = f"{workflow_id}:cancel:{task_id}"
            bound = log.bind(command_id=command_id, task_id=task_id)
            if self.executor.applied(command_id):
                continue
            try:
                task = self.store.get(Task, UUID(task_id))
            except NotFound:
                bound.warning("task to cancel does not exist")
                continue
            if task.state not in (TaskState.OPEN, TaskState.CLAIMED):
                continue
            try:
                self._execute(
                    CancelTask(reason=why),
                    SYSTEM,
                    command_id=command_id,
                    today=on,
                    target_id=UUID(task_id),
                )
            except IllegalTransition:
                continue  # completed meanwhile by the caseworker: their outcome stands
            except Exception:
                bound.exception("cancelling a caseworker task failed")
                raise
            cancelled += 1
        return cancelled

    @activity.defn
    def generate_letter(self, request: LetterRequest) -> bool:
        """Write the step's letter to the authority (GenerateLetter: rendered, stored,
        recorded on the report or the recommendation). Once: a redelivered activity finds
        its command id applied and renders nothing; one that crashed between storing the
        documents and recording the event renders the same bytes again, which the store
        already holds. True when the letter is on record."""
        command_id = f"{request.workflow_id}:{request.step}:letter"
        bound = log.bind(command_id=command_id, recommendation_ids=request.recommendation_ids)
        beat()
        if self.executor.applied(command_id):
            return True
        if self.executor.letters is None:
            bound.info("letters are off in this worker", kind=request.kind)
            return False
        try:
            first = self.store.get(Recommendation, UUID(request.recommendation_ids[0]))
        except NotFound:
            bound.warning("letter names an unknown recommendation", kind=request.kind)
            return False
        # A report's obligation writes the report's letters; an urgent recommendation's,
        # or one in no report, its own.
        # A batch's letter (workflows/letter_batch.py) from several obligations: on each
        # recommendation it names.
        report = first.report_id
        origin = request.origin or request.workflow_id
        if report is None or origin != f"obligation-{report}-{request.authority_id}":
            report = None
        try:
            self._execute(
                GenerateLetter(
                    kind=request.kind,
                    report_id=UUID(report) if report else None,
                    authority_id=UUID(request.authority_id),
                    recommendation_ids=[UUID(r) for r in request.recommendation_ids],
                    due_on=request.due_on,
                    level=request.level,
                    language=None,  # the authority's
                    reason=f"workflow {request.workflow_id}",
                ),
                SYSTEM,
                command_id=command_id,
                today=request.business_date,
            )
        except DomainError as error:
            # Retrying cannot help (the record says no); a caseworker can write it by hand.
            bound.error("the step's letter was refused", kind=request.kind, error=str(error))
            return False
        except Exception:
            bound.exception("writing the step's letter failed", kind=request.kind)
            raise
        bound.info("letter recorded", kind=request.kind)
        return True

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.escalation_ladder,
            self.record_escalation_step,
            self.record_decision,
            self.open_task,
            self.cancel_tasks,
            self.generate_letter,
        ]
