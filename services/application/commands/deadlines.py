"""The deadline workflows' one command for a step of the escalation ladder: the deadline
that passed (a reply missed, an implementation overdue), the ladder level raised and the
caseworker task that sends its letter, on every recommendation the step names, saved
together in one transaction. One command per step keeps a burst of deadlines at the
store's rate of one command each, and a step is never half written."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from domain.task import TaskKind
from services.application.commands.base import Command, Name


class PassedDeadline(StrEnum):
    """The deadline fact a step records before its first ladder level."""

    REPLY_MISSED = "reply_missed"
    IMPLEMENTATION_OVERDUE = "implementation_overdue"


class RecordEscalationStep(Command):
    """Raise the next level of the authority's ladder (in force on `due_on`) on the
    recommendations named, the highest one whose day has come by `as_of`, first recording
    `deadline` on them when given. Dated `missed_on`, the day the deadline passed; the
    level's events are dated the day the level fell due."""

    subject: ClassVar[str] = "task_id"
    dated_by: ClassVar[str | None] = "missed_on"

    workflow_id: Name
    authority_id: UUID
    recommendation_ids: list[UUID] = Field(min_length=1, max_length=10_000)
    due_on: date
    missed_on: date
    as_of: date
    levels_done: int = Field(default=0, ge=0)
    deadline: PassedDeadline | None = None
    #: escalate only the recommendations still awaiting a reply (a reply obligation)
    awaiting_reply: bool = False
    task_kind: TaskKind
    #: the task's title; {action}, {addressee}, {level} and {count} are filled in
    task_title: Name
    #: the relay writes the missed deadline's and the level's letters, in the authority's
    #: letter of the day (#16); an implementation follow-up writes its own
    letters_batched: bool = False
