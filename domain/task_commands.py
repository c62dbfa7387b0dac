"""Caseworker task commands (opened by workflows, claimed and completed by people).

A mixin of the Rectrack application, kept in its own module so the task rules sit
beside the task aggregate rather than inside the recommendation commands."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from domain.errors import InvalidInput, NotFound
from domain.task import Task, TaskKind
from domain.values import EventMeta, Role

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from eventsourcing.domain import Aggregate

    from domain.application import CommandResult

A = TypeVar("A", bound="Aggregate")


class TaskCommands:
    """Open, claim, reassign, complete and cancel caseworker tasks."""

    if TYPE_CHECKING:
        # Provided by the Rectrack application this class is mixed into.
        def _execute(
            self,
            meta: EventMeta,
            kind: str,
            change: Callable[[], Aggregate | Sequence[Aggregate]],
        ) -> CommandResult: ...

        def _load(self, cls: type[A], kind: str, aggregate_id: UUID) -> A: ...

        def load(self, aggregate_id: UUID) -> object: ...

        @staticmethod
        def _check_version(kind: str, aggregate: Aggregate, expected: int | None) -> None: ...

    def open_task(
        self,
        meta: EventMeta,
        *,
        opened_by: str,
        kind: TaskKind,
        title: str,
        role: Role,
        due_on: date,
        recommendation_ids: list[UUID],
        workflow_id: str,
    ) -> CommandResult:
        """Open the task for a workflow step; opening the same step again changes nothing."""

        def change() -> Task:
            if not title.strip():
                raise InvalidInput("title", "must not be empty")
            return Task(
                meta=meta,
                opened_by=opened_by,
                kind=kind.value,
                title=title.strip(),
                role=role.value,
                due_on=due_on,
                recommendation_ids=[str(r) for r in recommendation_ids],
                workflow_id=workflow_id,
            )

        return self._execute(meta, "task", change)

    def get_task(self, task_id: UUID) -> Task:
        return self._load(Task, "task", task_id)

    def find_task(self, opened_by: str) -> Task | None:
        try:
            task = self.load(Task.create_id(opened_by))
        except NotFound:
            return None
        return task if isinstance(task, Task) else None

    def claim_task(
        self, meta: EventMeta, task_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_task(
            meta, task_id, lambda t: t.claim(meta, meta.actor_id), expected_version
        )

    def reassign_task(
        self,
        meta: EventMeta,
        task_id: UUID,
        *,
        assignee: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_task(meta, task_id, lambda t: t.reassign(meta, assignee), expected_version)

    def complete_task(
        self,
        meta: EventMeta,
        task_id: UUID,
        *,
        outcome: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_task(
            meta,
            task_id,
            lambda t: t.complete(meta, meta.actor_id, outcome, note),
            expected_version,
        )

    def cancel_task(
        self, meta: EventMeta, task_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_task(meta, task_id, lambda t: t.cancel(meta), expected_version)

    def _on_task(
        self,
        meta: EventMeta,
        task_id: UUID,
        action: Callable[[Task], None],
        expected_version: int | None,
    ) -> CommandResult:
        def change() -> Task:
            task = self._load(Task, "task", task_id)
            self._check_version("task", task, expected_version)
            action(task)
            return task

        return self._execute(meta, "task", change)
