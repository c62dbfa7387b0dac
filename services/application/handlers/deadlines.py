"""The handler of RecordEscalationStep: the deadline, the ladder level and its task in one
save. Which recommendations a step still applies to is the domain's rule (ALLOWED_FROM);
one it no longer applies to (answered or withdrawn since the workflow last heard) is left
out, and a step that applies to none is refused, appending nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from eventsourcing.domain import Aggregate

from domain.authority import Authority
from domain.errors import IllegalTransition, NotFound
from domain.ladder import level_start, level_to_raise
from domain.recommendation import Recommendation
from domain.recommendation_rules import ALLOWED_FROM, allowed_actions
from domain.task import Task
from domain.values import EscalationLevel, EventMeta, Role, Status
from services.application.commands.deadlines import PassedDeadline, RecordEscalationStep
from services.application.handlers.table import Changed, Context, handles

# The method that records each passed deadline; its name is the action ALLOWED_FROM rules on.
DEADLINE_ACTION: dict[PassedDeadline, Callable[[Recommendation, EventMeta, date], None]] = {
    PassedDeadline.REPLY_MISSED: Recommendation.record_reply_deadline_missed,
    PassedDeadline.IMPLEMENTATION_OVERDUE: Recommendation.record_implementation_overdue,
}


@dataclass(frozen=True)
class StepRecorded:
    """What a step recorded: the ladder it read, the recommendations the deadline and the
    level were recorded on, the level raised (0: none) and the task opened for it."""

    ladder: list[EscalationLevel]
    deadline_on: list[str]
    level: int
    escalated: list[str]
    task_id: str | None


def step_task_opened_by(workflow_id: str, due_on: date, level: int) -> str:
    """The step a level's task is opened by (its id derives from it: Task.create_id)."""
    return f"{workflow_id}:escalation-{due_on}-{level}"


def _applies(rec: Recommendation, action: str, awaiting_reply: bool) -> bool:
    if awaiting_reply and rec.status != Status.ISSUED:
        return False
    return rec.status in ALLOWED_FROM[action]


@handles(RecordEscalationStep)
def record_escalation_step(ctx: Context, c: RecordEscalationStep) -> Changed:
    ladder = ctx.reference(Authority, c.authority_id, "authority_id").ladder_on(c.due_on)
    recs: list[Recommendation] = []
    for rec_id in c.recommendation_ids:
        try:
            recs.append(ctx.load(Recommendation, rec_id))
        except NotFound:
            continue
    if c.deadline is not None:
        record = DEADLINE_ACTION[c.deadline]
        recs = [r for r in recs if _applies(r, record.__name__, c.awaiting_reply)]
        for rec in recs:
            if c.deadline is PassedDeadline.REPLY_MISSED:
                rec.record_reply_deadline_missed(ctx.meta, c.due_on, c.letters_batched)
            else:
                record(rec, ctx.meta, c.due_on)
    deadline_on = [str(r.id) for r in recs]
    waits = [rung.wait_days for rung in ladder]
    level = level_to_raise(c.missed_on, c.as_of, waits, c.levels_done)
    escalated: list[Recommendation] = []
    task: Task | None = None
    if level:
        rung = ladder[level - 1]
        on = level_start(c.missed_on, waits, level)
        meta = replace(ctx.meta, business_date=on)
        escalated = [r for r in recs if _applies(r, "record_escalation", c.awaiting_reply)]
        for rec in escalated:
            rec.record_escalation(
                meta, level, rung.action, rung.addressee, c.workflow_id, c.due_on, c.letters_batched
            )
        if escalated:
            task = Task(
                meta=meta,
                opened_by=step_task_opened_by(c.workflow_id, c.due_on, level),
                kind=c.task_kind.value,
                title=c.task_title.format(
                    action=rung.action,
                    addressee=rung.addressee,
                    level=level,
                    count=len(escalated),
                ),
                role=Role.CASEWORKER.value,
                due_on=on + timedelta(days=rung.wait_days),
                recommendation_ids=[str(r.id) for r in escalated],
                workflow_id=c.workflow_id,
            )
    # Without a deadline to record, only the escalated recommendations changed.
    touched = recs if c.deadline is not None else escalated
    changed: list[Aggregate] = [*([task] if task else []), *touched]
    if not changed:
        first = ctx.load(Recommendation, c.recommendation_ids[0])
        raise IllegalTransition(
            "recommendation",
            first.id,
            first.status.value,
            "record_escalation_step",
            allowed_actions(first.status),
        )
    done = StepRecorded(
        ladder,
        deadline_on,
        level,
        [str(r.id) for r in escalated],
        str(task.id) if task else None,
    )
    return Changed(changed, done)
