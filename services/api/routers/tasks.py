"""The caseworkers' inbox: tasks the deadline workflows opened (reply overdue, escalation
to decide, implementation to check), which people claim, complete or reassign."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.errors import InvalidInput
from domain.values import Role
from services.api.auth import PERMISSIONS, Ability, Actor, require
from services.api.errors import ERROR_RESPONSES
from services.api.writes import (
    CommandOut,
    WriteOptions,
    command_meta,
    command_out,
    versioned_write_options,
)
from services.application.commands.base import NoNul
from services.application.runtime import Runtime
from services.application.store import Rectrack

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=ERROR_RESPONSES)

Worker = Annotated[Actor, Depends(require(Ability.WORK_TASKS))]
Options = Annotated[WriteOptions, Depends(versioned_write_options)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul]


class TaskPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class ClaimTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Note | None = None


class CompleteTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
    ]
    note: Note | None = None
    reason: Note | None = None


class ReassignTask(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assignee: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
        NoNul,
        Field(description="the username of the person who takes the task over"),
    ]
    reason: Note | None = None


def _task_worker(app: Rectrack, username: str) -> str:
    """The id (what claim and complete compare with) of an active user who may work tasks."""
    user = app.find_user(username)
    if user is None or user.disabled:
        raise InvalidInput("assignee", f"no active user is named {username!r}")
    allowed = PERMISSIONS[Ability.WORK_TASKS]
    if not set(user.roles) & allowed:
        raise InvalidInput(
            "assignee",
            f"{username} may not work tasks: that takes one of the roles "
            f"{', '.join(sorted(allowed))}",
        )
    return str(user.id)


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.get("", summary="Tasks: ?state=open&mine=true is my inbox")
def list_tasks(
    request: Request,
    actor: Annotated[Actor, Depends(require(Ability.READ_ALL))],
    state: Literal["open", "unclaimed", "claimed", "completed", "cancelled"] | None = None,
    mine: bool = False,
    role: Role | None = None,
    recommendation_id: Annotated[
        UUID | None, Query(description="only the tasks about this recommendation")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    from projections.inbox import list_tasks as query

    with request.app.state.read_pool.connection() as conn:
        items, total = query(
            conn,
            _runtime(request).settings.database_schema,
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
def claim(
    task_id: UUID,
    body: ClaimTask,
    request: Request,
    response: Response,
    actor: Worker,
    options: Options,
) -> CommandOut:
    result = _runtime(request).app.claim_task(
        command_meta(actor, options.command_key, body.reason),
        task_id,
        expected_version=options.expected_version,
    )
    return command_out(request, response, result, wait=options.wait)


@router.post("/{task_id}/complete", summary="Complete a task with its outcome")
def complete(
    task_id: UUID,
    body: CompleteTask,
    request: Request,
    response: Response,
    actor: Worker,
    options: Options,
) -> CommandOut:
    result = _runtime(request).app.complete_task(
        command_meta(actor, options.command_key, body.reason),
        task_id,
        outcome=body.outcome,
        note=body.note,
        expected_version=options.expected_version,
    )
    return command_out(request, response, result, wait=options.wait)


@router.post("/{task_id}/reassign", summary="Give a task to someone else")
def reassign(
    task_id: UUID,
    body: ReassignTask,
    request: Request,
    response: Response,
    actor: Annotated[Actor, Depends(require(Ability.REASSIGN_TASKS))],
    options: Options,
) -> CommandOut:
    app = _runtime(request).app
    result = app.reassign_task(
        command_meta(actor, options.command_key, body.reason),
        task_id,
        assignee=_task_worker(app, body.assignee),
        expected_version=options.expected_version,
    )
    return command_out(request, response, result, wait=options.wait)
