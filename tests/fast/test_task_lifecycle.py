"""Every action on a caseworker task from every state (domain/task.py ALLOWED_FROM),
through the executor, and the rules about who holds a task: only its holder completes a
claimed task, nobody else claims it, a reassignment names an active user who may work
tasks, and a cancellation says why. Refusals store nothing."""

from __future__ import annotations

from itertools import product
from uuid import UUID

import pytest

from domain.errors import ConcurrencyConflict, IllegalTransition, InvalidInput
from domain.task import ALLOWED_FROM, Task, TaskState
from domain.values import Role
from services.application.commands.base import Command
from services.application.commands.tasks import (
    CancelTask,
    ClaimTask,
    CompleteTask,
    ReassignTask,
)
from services.application.commands.users import DisableUser
from services.application.executor import Caller
from services.application.store import Rectrack
from tests.builders import CASEWORKER, Commander
from tests.fast.states import open_task, stored, task_in, task_worker

ACTIONS: dict[str, Command] = {
    "claim": ClaimTask(),
    "reassign": ReassignTask(assignee="hedda"),
    "complete": CompleteTask(outcome="Letter sent"),
    "cancel": CancelTask(reason="the authority replied"),
}
STATE_AFTER = {
    "claim": TaskState.CLAIMED,
    "reassign": TaskState.CLAIMED,
    "complete": TaskState.COMPLETED,
    "cancel": TaskState.CANCELLED,
}
HEDDA = Caller("hedda", "caseworker")


def test_every_action_has_a_command() -> None:
    assert set(ACTIONS) == set(ALLOWED_FROM) == set(STATE_AFTER)


@pytest.mark.parametrize(("state", "action"), list(product(TaskState, ALLOWED_FROM)))
def test_action_from_state(store: Rectrack, run: Commander, state: TaskState, action: str) -> None:
    hedda = task_worker(run, "hedda")
    task_id = task_in(run, state)
    assert store.get(Task, task_id).state is state
    version, events = store.get(Task, task_id).version, stored(store)

    if state in ALLOWED_FROM[action]:
        run(ACTIONS[action], task_id)
        task = store.get(Task, task_id)
        assert task.state is STATE_AFTER[action]
        if action == "reassign":
            assert task.assignee == str(hedda)
        elif action in ("claim", "complete"):
            assert task.assignee == CASEWORKER.actor_id
        return

    with pytest.raises(IllegalTransition) as error:
        run(ACTIONS[action], task_id, command_id="refused")
    refused = error.value
    assert (refused.action, refused.status, refused.aggregate_id) == (action, state, task_id)
    assert refused.allowed == []  # completed and cancelled tasks are final
    assert store.get(Task, task_id).version == version
    assert stored(store) == events and store.applied("refused") is None


def test_claiming_again_as_the_holder_changes_nothing(store: Rectrack, run: Commander) -> None:
    task_id = task_in(run, TaskState.CLAIMED)
    version, events = store.get(Task, task_id).version, stored(store)
    run(ClaimTask(), task_id)
    assert store.get(Task, task_id).version == version and stored(store) == events


def _refused_without_event(
    store: Rectrack, run: Commander, task_id: UUID, command: Command, caller: Caller
) -> IllegalTransition:
    events = stored(store)
    with pytest.raises(IllegalTransition) as error:
        run(command, task_id, caller=caller)
    assert stored(store) == events
    return error.value


def test_a_claimed_task_is_claimed_and_completed_by_its_holder_only(
    store: Rectrack, run: Commander
) -> None:
    task_id = task_in(run, TaskState.CLAIMED)
    claim = _refused_without_event(store, run, task_id, ClaimTask(), HEDDA)
    assert claim.status == f"claimed by {CASEWORKER.actor_id}"
    complete = _refused_without_event(store, run, task_id, CompleteTask(outcome="Done"), HEDDA)
    assert complete.status == f"claimed by {CASEWORKER.actor_id}"
    assert complete.allowed == sorted([f"complete (by {CASEWORKER.actor_id})", "reassign"])
    run(CompleteTask(outcome="Done"), task_id)
    assert store.get(Task, task_id).state is TaskState.COMPLETED


def test_an_open_task_is_completed_by_whoever_does_it(store: Rectrack, run: Commander) -> None:
    task_id = open_task(run)
    run(CompleteTask(outcome="Letter sent", note="by post"), task_id, caller=HEDDA)
    task = store.get(Task, task_id)
    assert (task.state, task.assignee, task.note) == (TaskState.COMPLETED, "hedda", "by post")


def test_a_reassignment_names_an_active_user_who_may_work_tasks(
    store: Rectrack, run: Commander
) -> None:
    task_id = task_in(run, TaskState.CLAIMED)
    task_worker(run, "aude", Role.AUDITOR)
    hedda = task_worker(run, "hedda")
    run(DisableUser(), task_worker(run, "gone"))
    events = stored(store)
    for assignee, rule in (
        ("nobody", "no active user is named 'nobody'"),
        ("gone", "no active user is named 'gone'"),
        ("aude", "aude may not work tasks"),
    ):
        with pytest.raises(InvalidInput) as error:
            run(ReassignTask(assignee=assignee), task_id)
        assert error.value.field == "assignee" and rule in error.value.rule
    assert stored(store) == events
    run(ReassignTask(assignee=" Hedda "), task_id)
    assert store.get(Task, task_id).assignee == str(hedda)


def test_a_cancellation_says_why(store: Rectrack, run: Commander) -> None:
    task_id = open_task(run)
    with pytest.raises(InvalidInput) as error:
        run(CancelTask(), task_id)
    assert error.value.field == "reason"
    assert store.get(Task, task_id).state is TaskState.OPEN


def test_a_workflow_step_opens_one_task(store: Rectrack, run: Commander) -> None:
    # The id comes from the step, so a second opening (under another command id) collides.
    task_id = open_task(run)
    events = stored(store)
    with pytest.raises(ConcurrencyConflict):
        open_task(run)
    assert stored(store) == events and store.get(Task, task_id).version == 1
