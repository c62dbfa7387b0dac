"""Handlers of the task commands. Claim and complete act as the caller; a reassignment
names a person by username, who must be an active user allowed to work tasks."""

from __future__ import annotations

from domain.errors import InvalidInput
from domain.task import TASK_WORKER_ROLES, Task
from domain.user import User, user_id_for
from services.application.commands.tasks import (
    CancelTask,
    ClaimTask,
    CompleteTask,
    OpenTask,
    ReassignTask,
)
from services.application.handlers.table import Context, handles


@handles(OpenTask)
def open_task(ctx: Context, c: OpenTask) -> Task:
    return Task(
        meta=ctx.meta,
        opened_by=c.opened_by,
        kind=c.kind.value,
        title=c.title,
        role=c.role.value,
        due_on=c.due_on,
        recommendation_ids=[str(r) for r in c.recommendation_ids],
        workflow_id=c.workflow_id,
    )


@handles(ClaimTask)
def claim_task(ctx: Context, c: ClaimTask) -> Task:
    task = ctx.target(Task)
    task.claim(ctx.meta, ctx.meta.actor_id)
    return task


@handles(CompleteTask)
def complete_task(ctx: Context, c: CompleteTask) -> Task:
    task = ctx.target(Task)
    task.complete(ctx.meta, ctx.meta.actor_id, c.outcome, c.note)
    return task


@handles(ReassignTask)
def reassign_task(ctx: Context, c: ReassignTask) -> Task:
    task = ctx.target(Task)
    username = c.assignee.strip().lower()
    user = ctx.store.find(User, user_id_for(username))
    if user is None or user.disabled:
        raise InvalidInput("assignee", "no active user is named {name}", name=repr(c.assignee))
    if not set(user.roles) & TASK_WORKER_ROLES:
        raise InvalidInput(
            "assignee",
            "{name} may not work tasks: that takes one of the roles {roles}",
            name=c.assignee,
            roles=", ".join(sorted(TASK_WORKER_ROLES)),
        )
    # The id is what claim and complete compare with.
    task.reassign(ctx.meta, str(user.id))
    return task


@handles(CancelTask)
def cancel_task(ctx: Context, c: CancelTask) -> Task:
    task = ctx.target(Task)
    task.cancel(ctx.meta)
    return task
