"""Aggregates brought into each state of their lifecycle through the executor, for the
fast tier's transition tables, and the count of events the store holds."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.task import Task, TaskKind, TaskState
from domain.user import user_id_for
from domain.values import ImplementationStatus, Role, Status
from services.application.commands.recommendations import (
    AssessImplementation,
    CloseRecommendation,
    WithdrawRecommendation,
)
from services.application.commands.tasks import CancelTask, ClaimTask, CompleteTask, OpenTask
from services.application.commands.users import CreateUser, GrantRole
from services.application.store import Rectrack
from tests.builders import DAY, Commander, drafted_recommendation, issued_recommendation, reply

REPLIED_ON = date(2026, 1, 20)


def stored(store: Rectrack) -> int:
    """How many events the store holds: a refused command must leave this unchanged."""
    return store.recorder.max_notification_id() or 0


def recommendation_in(run: Commander, authority_id: UUID, status: Status) -> UUID:
    """A recommendation of `authority_id` taken by the shortest path to `status`."""
    if status is Status.DRAFT:
        return drafted_recommendation(run, authority_id)
    rec = issued_recommendation(run, authority_id, DAY)
    if status in (Status.RESPONDED, Status.ASSESSED):
        reply(run, rec, REPLIED_ON, text="Agreed")
    if status is Status.ASSESSED:
        run(AssessImplementation(status=ImplementationStatus.IN_PROGRESS), rec)
    if status is Status.WITHDRAWN:
        run(WithdrawRecommendation(reason="a duplicate"), rec)
    if status is Status.CLOSED:
        run(CloseRecommendation(reason="implemented and verified"), rec)
    return rec


def task_worker(run: Commander, username: str, role: Role = Role.CASEWORKER) -> UUID:
    """A user who holds `role` (one that may work tasks, unless told otherwise)."""
    run(CreateUser(username=username, display_name=username.capitalize()))
    user_id = user_id_for(username)
    run(GrantRole(role=role), user_id)
    return user_id


def open_task(run: Commander, step: str = "wf-1:reminder") -> UUID:
    """The task a workflow opens for `step`."""
    run(
        OpenTask(
            opened_by=step,
            kind=TaskKind.SEND_REMINDER,
            title="Send the reminder letter",
            role=Role.CASEWORKER,
            due_on=date(2026, 2, 4),
            recommendation_ids=[],
            workflow_id="wf-1",
        )
    )
    return Task.create_id(step)


def task_in(run: Commander, state: TaskState) -> UUID:
    """A task in `state`; a claimed or completed one is held by the runner's caller."""
    task = open_task(run)
    if state is TaskState.CLAIMED:
        run(ClaimTask(), task)
    elif state is TaskState.COMPLETED:
        run(CompleteTask(outcome="Letter sent"), task)
    elif state is TaskState.CANCELLED:
        run(CancelTask(reason="the authority replied"), task)
    return task
