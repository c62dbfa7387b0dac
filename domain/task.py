"""Caseworker tasks: the work a workflow puts in front of people ("send the escalation
letter to the ministry", "verify implementation"). Tasks are aggregates like everything
else, so who claimed, reassigned and completed what, and when, is part of the record.

A task's id is derived from the workflow step that opened it, so a retried activity or a
replayed workflow finds the task it already opened instead of opening a second one.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import IllegalTransition, InvalidInput
from domain.values import EventMeta, Role


class TaskState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskKind(StrEnum):
    SEND_REMINDER = "send_reminder"
    SEND_ESCALATION_LETTER = "send_escalation_letter"
    VERIFY_IMPLEMENTATION = "verify_implementation"
    ESCALATE_IMPLEMENTATION = "escalate_implementation"
    DELIVER_LETTER = "deliver_letter"  # the SMTP server refused a letter's e-mail for good


TASK_WORKER_ROLES = frozenset({Role.ADMIN, Role.CASEWORKER, Role.COMPLIANCE})
"""Who may claim, complete and be given tasks."""

_ACTIVE = frozenset({TaskState.OPEN, TaskState.CLAIMED})
ALLOWED_FROM: dict[str, frozenset[TaskState]] = {
    "claim": _ACTIVE,
    "reassign": _ACTIVE,
    "complete": _ACTIVE,
    "cancel": _ACTIVE,
}


class Task(Aggregate):
    @staticmethod
    def create_id(opened_by: str, **_: object) -> UUID:
        return uuid5(NAMESPACE_URL, f"rectrack:task:{opened_by}")

    @event("Opened")
    def __init__(
        self,
        meta: EventMeta,
        opened_by: str,
        kind: str,
        title: str,
        role: str,
        due_on: date,
        recommendation_ids: list[str],
        workflow_id: str,
    ) -> None:
        self.opened_by = opened_by
        self.kind = TaskKind(kind)
        self.title = title
        self.role = Role(role)
        self.due_on = due_on
        self.recommendation_ids = list(recommendation_ids)
        self.workflow_id = workflow_id
        self.opened_on = meta.business_date
        self.state = TaskState.OPEN
        self.assignee: str | None = None
        self.outcome: str | None = None
        self.note: str | None = None

    def _require(self, action: str) -> None:
        if self.state not in ALLOWED_FROM[action]:
            allowed = [a for a, states in ALLOWED_FROM.items() if self.state in states]
            raise IllegalTransition("task", self.id, self.state, action, allowed)

    def claim(self, meta: EventMeta, assignee: str) -> None:
        self._require("claim")
        if self.state == TaskState.CLAIMED and self.assignee != assignee:
            raise IllegalTransition(
                "task",
                self.id,
                f"claimed by {self.assignee}",
                "claim",
                ["reassign (by compliance or admin)", "complete (by the holder)"],
            )
        if self.assignee == assignee:
            return
        self._claim(meta, assignee)

    @event("Claimed")
    def _claim(self, meta: EventMeta, assignee: str) -> None:
        self.state = TaskState.CLAIMED
        self.assignee = assignee

    def reassign(self, meta: EventMeta, assignee: str) -> None:
        self._require("reassign")
        if not assignee.strip():
            raise InvalidInput("assignee", "must name a user")
        self._reassign(meta, self.assignee, assignee)

    @event("Reassigned")
    def _reassign(self, meta: EventMeta, previous: str | None, assignee: str) -> None:
        self.state = TaskState.CLAIMED
        self.assignee = assignee

    def complete(
        self, meta: EventMeta, completed_by: str, outcome: str, note: str | None = None
    ) -> None:
        self._require("complete")
        if self.state == TaskState.CLAIMED and self.assignee != completed_by:
            raise IllegalTransition(
                "task",
                self.id,
                f"claimed by {self.assignee}",
                "complete",
                [f"complete (by {self.assignee})", "reassign"],
            )
        if not outcome.strip():
            raise InvalidInput("outcome", "must say what was done")
        self._complete(meta, completed_by, outcome.strip(), note)

    @event("Completed")
    def _complete(self, meta: EventMeta, completed_by: str, outcome: str, note: str | None) -> None:
        self.state = TaskState.COMPLETED
        self.assignee = completed_by
        self.outcome = outcome
        self.note = note

    def cancel(self, meta: EventMeta) -> None:
        self._require("cancel")
        if not meta.reason:
            raise InvalidInput("reason", "a cancelled task must say why")
        self._cancel(meta)

    @event("Cancelled")
    def _cancel(self, meta: EventMeta) -> None:
        self.state = TaskState.CANCELLED
