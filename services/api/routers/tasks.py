"""The caseworkers' inbox: tasks the deadline workflows opened (reply overdue, escalation
to decide, implementation to check), which people claim, complete or reassign."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from psycopg.sql import SQL, Identifier
from pydantic import BaseModel, Field

from domain.task import TASK_WORKER_ROLES, TaskKind
from domain.user import User
from domain.values import Role
from services.api.auth import Ability, Actor
from services.api.deps import ReadConnection, Schema, SpeechDep, StoreDep, require
from services.api.errors import ERROR_RESPONSES
from services.api.threads import OneHopRoute
from services.api.writes import CommandOut, Write, run_command, writer
from services.application.commands.tasks import ClaimTask, CompleteTask, ReassignTask
from services.application.task_titles import title_in

router = APIRouter(
    route_class=OneHopRoute, prefix="/tasks", tags=["tasks"], responses=ERROR_RESPONSES
)

Working = Annotated[Write, Depends(writer(Ability.WORK_TASKS))]
Reassigning = Annotated[Write, Depends(writer(Ability.REASSIGN_TASKS))]


class TaskPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int
    counts: dict[str, list[dict[str, Any]]] = Field(
        default_factory=dict,
        description="for each filter (kind, authority_id, assignee, overdue): how many "
        "tasks each value would show with the other filters applied",
    )


class Worker(BaseModel):
    id: UUID
    username: str
    display_name: str


@router.get("", summary="Tasks: ?state=open&mine=true is my inbox")
def list_tasks(
    actor: Annotated[Actor, Depends(require(Ability.READ_ALL))],
    conn: ReadConnection,
    schema: Schema,
    say: SpeechDep,
    state: Literal["open", "unclaimed", "claimed", "completed", "cancelled"] | None = None,
    mine: bool = False,
    role: Role | None = None,
    recommendation_id: Annotated[
        UUID | None, Query(description="only the tasks about this recommendation")
    ] = None,
    kind: TaskKind | None = None,
    authority_id: Annotated[
        UUID | None, Query(description="only the tasks about this authority's recommendations")
    ] = None,
    assignee: Annotated[
        UUID | None, Query(description="only the tasks this user (id) holds")
    ] = None,
    overdue: bool | None = None,
    due_before: Annotated[date | None, Query(description="only tasks due before this day")] = None,
    sort: Literal["overdue", "due"] = "overdue",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> TaskPage:
    from projections.views.inbox import TaskFilter, task_counts
    from projections.views.inbox import list_tasks as query

    today = date.today()
    where = TaskFilter(
        state=state,
        role=role.value if role else None,
        assignee=actor.actor_id if mine else (str(assignee) if assignee else None),
        recommendation_id=recommendation_id,
        kind=kind.value if kind else None,
        authority_id=authority_id,
        overdue=overdue,
        due_before=due_before,
    )
    items, total = query(
        conn, schema, where=where, sort=sort, limit=limit, offset=offset, today=today
    )
    title = title_in(say)
    return TaskPage(
        items=[{**i, "title": title(i["title"])} for i in items],
        total=total,
        limit=limit,
        offset=offset,
        counts=task_counts(conn, schema, where, today=today),
    )


@router.get("/workers", summary="The people who may work tasks (for reassigning)")
def workers(
    actor: Annotated[Actor, Depends(require(Ability.WORK_TASKS))],
    conn: ReadConnection,
    schema: Schema,
    store: StoreDep,
) -> list[Worker]:
    """Active users with a role that works tasks, by display name. Users are few: they
    are found by their creation events and loaded from the store."""
    with conn.cursor() as curs:
        curs.execute(
            SQL("SELECT DISTINCT originator_id FROM {0}.{1} WHERE topic LIKE %s").format(
                Identifier(schema),
                Identifier(store.recorder.events_table_name),  # type: ignore[attr-defined]
            ),
            ["%:User.Created"],
        )
        ids = [row[0] for row in curs.fetchall()]
    out = []
    for user_id in ids:
        user = store.find(User, user_id)
        if user is None or user.disabled or not set(user.roles) & TASK_WORKER_ROLES:
            continue
        out.append(Worker(id=user.id, username=user.username, display_name=user.display_name))
    return sorted(out, key=lambda w: w.display_name.lower())


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
