"""The workflows' only way to touch the world: read the authority's ladder, append a
decision to the recommendations' histories, open or cancel a caseworker task. All through
the domain, with command ids made of the workflow id and the step, so a retried activity
or a replayed workflow appends nothing twice.

Each activity first asks the command log whether its command id was already applied and
returns at once if so: the application would also answer a repeated command with its
first result, but only after a failed insert, and the cheap read keeps retries off the
write path altogether.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from uuid import UUID

import structlog
from temporalio import activity

from domain.authority import Authority
from domain.errors import IllegalTransition, NotFound
from domain.task import TaskKind, TaskState
from domain.values import EventMeta, Role
from services.application.store import Rectrack
from workflows.messages import Decision, Level, TaskRequest

log = structlog.get_logger(__name__)

SYSTEM_ACTOR = "system:deadline-workflow"


def system_meta(command_id: str, business_date: str, workflow_id: str) -> EventMeta:
    return EventMeta(
        actor_id=SYSTEM_ACTOR,
        actor_role=Role.SYSTEM.value,
        business_date=date.fromisoformat(business_date),
        command_id=command_id,
        reason=f"workflow {workflow_id}",
    )


class DeadlineActivities:
    def __init__(self, app: Rectrack) -> None:
        self.app = app

    def _applied(self, command_id: str) -> bool:
        log_ = self.app.command_log
        return log_ is not None and log_.find_command(command_id) is not None

    @activity.defn
    def escalation_ladder(self, authority_id: str, on: str) -> list[Level]:
        authority = self.app.load(UUID(authority_id))
        assert isinstance(authority, Authority)
        return [
            Level(rung.action, rung.addressee, rung.wait_days)
            for rung in authority.ladder_on(date.fromisoformat(on))
        ]

    @activity.defn
    def record_decision(self, decision: Decision) -> list[str]:
        """Append the decision to each recommendation; returns those it applies to. A
        recommendation answered or withdrawn since the workflow last heard is skipped."""
        recorded = []
        for rec in decision.recommendation_ids:
            # Command ids are global keys: one per recommendation of a report obligation.
            command_id = f"{decision.workflow_id}:{decision.step}:{rec}"
            bound = log.bind(command_id=command_id, recommendation_id=rec)
            if self._applied(command_id):
                recorded.append(rec)
                continue
            meta = system_meta(command_id, decision.business_date, decision.workflow_id)
            due = date.fromisoformat(decision.due_on)
            try:
                if decision.kind == "reminder":
                    self.app.record_reply_reminder(meta, UUID(rec), due_on=due)
                elif decision.kind == "missed":
                    self.app.record_reply_deadline_missed(meta, UUID(rec), due_on=due)
                elif decision.kind == "implementation_overdue":
                    self.app.record_implementation_overdue(meta, UUID(rec), due_on=due)
                else:
                    self.app.record_escalation(
                        meta,
                        UUID(rec),
                        level=decision.level,
                        action=decision.action,
                        addressee=decision.addressee,
                        obligation_id=decision.workflow_id,
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

    @activity.defn
    def open_task(self, request: TaskRequest) -> str:
        opened_by = f"{request.workflow_id}:{request.step}"
        command_id = f"{opened_by}:task"
        bound = log.bind(command_id=command_id, recommendation_ids=request.recommendation_ids)
        existing = self.app.find_task(opened_by)
        if existing is not None:
            return str(existing.id)
        try:
            result = self.app.open_task(
                system_meta(command_id, request.business_date, request.workflow_id),
                opened_by=opened_by,
                kind=TaskKind(request.kind),
                title=request.title,
                role=Role(request.role),
                due_on=date.fromisoformat(request.due_on),
                recommendation_ids=[UUID(r) for r in request.recommendation_ids],
                workflow_id=request.workflow_id,
            )
        except Exception:
            bound.exception("opening a caseworker task failed")
            raise
        bound.info("task opened", task_id=str(result.aggregate_id))
        return str(result.aggregate_id)

    @activity.defn
    def cancel_tasks(self, workflow_id: str, task_ids: list[str], on: str, why: str) -> int:
        """Cancel the workflow's tasks nobody needs any more (the reply came after the
        escalation letter was put in someone's inbox). Returns how many were cancelled."""
        cancelled = 0
        for task_id in task_ids:
            command_id = f"{workflow_id}:cancel:{task_id}"
            bound = log.bind(command_id=command_id, task_id=task_id)
            if self._applied(command_id):
                continue
            try:
                task = self.app.get_task(UUID(task_id))
            except NotFound:
                bound.warning("task to cancel does not exist")
                continue
            if task.state not in (TaskState.OPEN, TaskState.CLAIMED):
                continue
            base = system_meta(command_id, on, workflow_id)
            meta = EventMeta(
                base.actor_id, base.actor_role, base.business_date, base.command_id, why
            )
            try:
                self.app.cancel_task(meta, UUID(task_id))
            except IllegalTransition:
                continue  # completed meanwhile by the caseworker: their outcome stands
            except Exception:
                bound.exception("cancelling a caseworker task failed")
                raise
            cancelled += 1
        return cancelled

    def all(self) -> list[Callable[..., Any]]:
        return [self.escalation_ladder, self.record_decision, self.open_task, self.cancel_tasks]
