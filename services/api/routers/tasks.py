"""The caseworkers' inbox: tasks the deadline workflows opened (reply overdue, escalation
to decide, implementation to check), which people claim, complete or reassign."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from domain.values import Role
from services.api.auth import Ability, Actor
from services.api.deps import ReadConnection, Schema, require
from services.api.errors import ERROR_RESPONSES
from services.api.writes import CommandOut, Write, run_command, writer
from services.application.commands.tasks import ClaimTask, CompleteTask, ReassignTask

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERROR_RESPONSES)

Working = Annotated[Write, Depends(writer(Ability.WORK_TASKS))]
Reassigning = Annotated[Write, Depends(writer(Ability.REASSIGN_TASKS))]


class TaskPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get("", summary="Tasks: ?state=open&mine=true is my inbox")
def list_tasks(
    actor: Annotated[Actor, Depends(require(Ability.READ_ALL))],
    conn: ReadConnection,
    schema: Schema,
    state: Literal["open", "unclaimed", "claimed", "completed", "cancelled"] | None = None,
    mine: bool = False,
    role: Role | None = None,
    recommendation_id: Annotated[
        UUID | None, Query(description="only the tasks about this recommendation")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    from projections.views.inbox import list_tasks as query

    items, total = query(
        conn,
        schema,
        state=state,
        role=role.value if role else None,
        assignee=actor.actor_id if mine else None,
        recommendation_id=recommendation_id,
        limit=limit,
        offset=offset,
        today=date.today(),
    )
    return TaskPage(items=[dict(i) for i in items], total=total, limit=limit, offset=offset)


@router.post("/{task_id}/claim", summary="Claim a task for yourself")
def claim(task_id: UUID, body: ClaimTask, write: Working) -> CommandOut:
    return run_command(write, body, target_id=task_id)


@router.post("/{task_id}/complete", summary="Complete a task with its outcome")
def complete(task_id: UUID, body: CompleteTask, write: Working) -> CommandOut:
    return run_command(write, body, target_id=task_id)


@router.post("/{task_id}/reassign", summary="Give a task to someone else")
def reassign(task_id: UUID, body: ReassignTask, write: Reassigning) -> CommandOut:
    # The handler resolves the username to an active user allowed to work tasks.
    return run_command(write, body, target_id=task_id)
