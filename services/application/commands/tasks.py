"""Commands on caseworker tasks: opened and cancelled by the deadline workflows, claimed,
reassigned and completed by people."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, StringConstraints

from domain.task import TaskKind
from domain.values import Role
from services.application.commands.base import Command, Name, NoNul, Reason, TargetedCommand

Note = Reason


class TaskCommand(TargetedCommand):
    subject: ClassVar[str] = "task_id"


class OpenTask(Command):
    """Open the task for a workflow step; opening the same step again changes nothing."""

    subject: ClassVar[str] = "task_id"
    opened_by: Name
    kind: TaskKind
    title: Name
    role: Role
    due_on: date
    recommendation_ids: list[UUID] = Field(max_length=10_000)
    workflow_id: Name


class ClaimTask(TaskCommand):
    pass


class CompleteTask(TaskCommand):
    outcome: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
    ]
    note: Note | None = None


class ReassignTask(TaskCommand):
    assignee: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        NoNul,
        Field(description="the username of the person who takes the task over"),
    ]


class CancelTask(TaskCommand):
    pass
