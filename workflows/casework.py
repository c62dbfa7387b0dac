"""What both deadline workflows do the same way once a deadline has come: append a
decision to the recommendations, read the authority's ladder, raise a ladder level (the
decision and a caseworker task to send the letter), and keep the book of the caseworker
tasks they opened: which are still open, which are done, which nobody needs any more.

Every call to the world is an activity (workflows/activities.py); everything here runs
inside the workflow and is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.task import TaskKind
    from domain.values import Role
    from workflows.activities import DeadlineActivities
    from workflows.clock import Wakeup
    from workflows.messages import (
        Decision,
        DecisionKind,
        EscalationStep,
        EscalationStepDone,
        Fact,
        ImplementationState,
        LetterRequest,
        Level,
        ObligationState,
        Relayed,
        TaskRequest,
        letters_queue,
    )
    from workflows.schedule import Step

ACTIVITY_TIMEOUT = timedelta(minutes=2)
# The activities heartbeat at each step: a worker killed mid-activity is noticed after
# this long and the activity retried elsewhere (changing options is not a command change).
HEARTBEAT_TIMEOUT = timedelta(seconds=10)
# How long a step's letter may take, retries included (workflows/obligation.py LETTERS).
LETTER_TIMEOUT = timedelta(hours=1)
LETTER_HEARTBEAT_TIMEOUT = timedelta(minutes=1)

# Patches shared by both workflows (see the module docstring of workflows/obligation.py).
# The *_v1 histories in tests/workflows/histories were recorded before them.
# 1. After the last ladder level, wait until the caseworkers have done the tasks
#    (before: end at once, leaving the tasks in the inbox).
WAIT_FOR_TASKS = "wait-for-tasks-after-ladder"
# 2. On ending because the case closed (every recommendation answered, or the
#    implementation verified, or released), cancel the open tasks.
CANCEL_UNNEEDED_TASKS = "cancel-unneeded-tasks"

# 3. Settle, then act on what the record confirms (the demo's first report): a workflow
#    catching up on a step whose day has already passed (a back-dated report, a relay
#    delivering a burst at start-up) first waits SETTLE on a fixed timer so the rest of
#    the burst arrives; each decision then counts only for the recommendations the
#    activity actually recorded it on (one answered meanwhile is resolved, and a step
#    recorded on nobody is not taken); a task is cancelled, with the reason, as soon as
#    nothing it names needs it any more (answered, implemented, withdrawn, closed).
SETTLE_AND_CONFIRM = "settle-then-confirm-decisions"
SETTLE = timedelta(seconds=10)

# 4. One command per ladder step: the deadline that passed, the ladder read, the level
#    raised and its task are one activity and one command (RecordEscalationStep) instead
#    of four activities and three commands, so a burst of deadlines runs at the store's
#    rate. Asked once at the start of a run; the *_v5 histories were recorded before it.
ONE_COMMAND_STEP = "one-command-escalation"

# 5. WAIT_FOR_TASKS settled at the start of a reply obligation's run, not when its ladder
#    runs out: a patch marker recorded for the first time comes with an upsert of the
#    TemporalChangeVersion search attribute (a visibility write in Temporal), and asked at
#    the last ladder step it made every firing of a burst pay one (#16). A run that records
#    this marker waits for its tasks without asking WAIT_FOR_TASKS; one started before it
#    asks as it did. The *_v7 histories were recorded before it.
TASKS_AWAITED = "wait-for-tasks-settled-at-start"

# Both deadline workflows keep their ladder and their caseworker tasks the same way.
TaskBook = ObligationState | ImplementationState


@dataclass
class Escalation:
    """A ladder level raised: its rung, the recommendations it was recorded on, and the
    task opened to send its letter (None when it was recorded on nobody)."""

    rung: Level
    applied: list[str] = field(default_factory=list)
    task_id: str | None = None


async def decide(decision: Decision) -> list[str]:
    """Append the decision to the recommendations it names (none named: nothing to do);
    returns those it was recorded on (a recommendation answered meanwhile is skipped)."""
    if not decision.recommendation_ids:
        return []
    applied: list[str] = await workflow.execute_activity_method(
        DeadlineActivities.record_decision,
        decision,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    return applied


async def write_letter(
    request: LetterRequest,
    *,
    own_queue: bool = False,
    render_timeout: timedelta | None = None,
) -> bool:
    """Have the step's letter written and recorded (once, by its command id). A letter
    that cannot be written within LETTER_TIMEOUT, retries included, is logged and left to
    a caseworker: the obligation's next steps never wait on a letter. With `own_queue`
    (patch ONE_COMMAND_STEP) on the letters' task queue, one at a time, so a burst of
    letters never takes the activity slots the deadline steps need. A batch's letter
    (workflows/letter_batch.py) names many: it is given `render_timeout` and no heartbeat
    timeout (the render cannot beat; a lost worker shows at the render timeout)."""
    if not request.recommendation_ids:
        return False
    queue = letters_queue(workflow.info().task_queue) if own_queue else None
    try:
        written: bool = await workflow.execute_activity_method(
            DeadlineActivities.generate_letter,
            request,
            task_queue=queue,
            start_to_close_timeout=render_timeout or ACTIVITY_TIMEOUT,
            # Queued behind the other letters, a render may wait on the CPU a while.
            heartbeat_timeout=LETTER_HEARTBEAT_TIMEOUT if own_queue else HEARTBEAT_TIMEOUT,
            schedule_to_close_timeout=LETTER_TIMEOUT,
        )
    except ActivityError as error:
        workflow.logger.error(
            "the step's letter could not be written: %s (command id %s:%s:letter)",
            error.cause or error,
            request.workflow_id,
            request.step,
        )
        return False
    return written


async def settle(book: TaskBook, today: date) -> bool:
    """Once a day at most, wait SETTLE on a fixed timer (not cut short by events) before
    catching up on a step whose day has passed; True if it waited."""
    if book.settled_on == today:
        return False
    book.settled_on = today
    await workflow.sleep(SETTLE)
    return True


async def escalation_ladder(authority_id: str, due_on: date) -> list[Level]:
    """The authority's ladder in force on the due date, to climb once it has passed."""
    return await workflow.execute_activity_method(
        DeadlineActivities.escalation_ladder,
        args=[authority_id, due_on],
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )


async def open_task(book: TaskBook, request: TaskRequest) -> str:
    """Open a caseworker task (or find the one this step already opened) and keep it in
    the book until it is done."""
    task_id: str = await workflow.execute_activity_method(
        DeadlineActivities.open_task,
        request,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    if task_id not in book.open_tasks and task_id not in book.completed_tasks:
        book.open_tasks.append(task_id)
    return task_id


async def escalation_step(book: TaskBook, request: EscalationStep) -> EscalationStepDone:
    """Record a ladder step in one command (patch ONE_COMMAND_STEP) and keep its task in
    the book; the level counts as done once its task is open. A local activity: one
    short command, run by the worker inside the workflow task that reached the step, so
    a burst of steps costs Temporal no activity task and no second workflow task each (a
    worker lost meanwhile loses the workflow task, and the next one runs the step again
    under the same command id)."""
    done: EscalationStepDone = await workflow.execute_local_activity_method(
        DeadlineActivities.record_escalation_step,
        request,
        start_to_close_timeout=ACTIVITY_TIMEOUT,
    )
    if done.task_id is not None:
        book.levels_done = done.level
        if done.task_id not in book.open_tasks and done.task_id not in book.completed_tasks:
            book.open_tasks.append(done.task_id)
    return done


async def escalate(
    book: TaskBook,
    step: Step,
    *,
    due_on: date,
    recommendation_ids: list[str],
    task_kind: TaskKind,
    title: Callable[[Level, list[str]], str],
    confirm: bool = False,
) -> Escalation:
    """Raise ladder level `step.level` on `step.on` for the recommendations due on
    `due_on`: record the escalation and open the task to send its letter (titled by
    `title` of the rung and the recommendations), due when the level's wait runs out.
    With `confirm`, the task names only the recommendations the escalation was recorded
    on, and a level recorded on none is not raised."""
    rung = book.ladder[step.level - 1]
    workflow_id = workflow.info().workflow_id
    step_id = f"escalation-{due_on}-{step.level}"
    applied = await decide(
        Decision(
            workflow_id,
            step_id,
            DecisionKind.ESCALATION,
            recommendation_ids,
            step.on,
            due_on,
            level=step.level,
            action=rung.action,
            addressee=rung.addressee,
        )
    )
    named = recommendation_ids
    if confirm:
        if not applied:
            return Escalation(rung)
        named = applied
    task_id = await open_task(
        book,
        TaskRequest(
            workflow_id=workflow_id,
            step=step_id,
            kind=task_kind,
            title=title(rung, named),
            role=Role.CASEWORKER,
            business_date=step.on,
            due_on=step.on + timedelta(days=rung.wait_days),
            recommendation_ids=named,
        ),
    )
    book.levels_done = step.level
    return Escalation(rung, applied, task_id)


async def after_the_ladder(
    book: TaskBook, wakeup: Wakeup, tasks_awaited: bool = False
) -> str | None:
    """The ladder is exhausted, but the case stays open until the caseworkers have done
    its tasks (completing the last letter is what closes it): while any is open, waits
    for the next relayed event and returns None; else the result to end with.
    `tasks_awaited`: the run recorded patch TASKS_AWAITED at its start."""
    if book.open_tasks and (tasks_awaited or workflow.patched(WAIT_FOR_TASKS)):
        book.phase = f"escalation ladder exhausted; waiting for {len(book.open_tasks)} task(s)"
        await wakeup.at(None)
        return None
    book.phase = "ended: escalation ladder exhausted"
    return book.phase


async def cancel_open_tasks(book: TaskBook, on: date, why: str) -> None:
    """Cancel the tasks nobody needs any more (the case ended before they were done)."""
    if not book.open_tasks or not workflow.patched(CANCEL_UNNEEDED_TASKS):
        return
    await workflow.execute_activity_method(
        DeadlineActivities.cancel_tasks,
        args=[workflow.info().workflow_id, sorted(book.open_tasks), on, why],
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    book.completed_tasks.extend(sorted(book.open_tasks))
    book.open_tasks.clear()


async def cancel_tasks(book: TaskBook, task_ids: list[str], on: date, why: str) -> None:
    """Cancel these tasks of the book, with the reason (no patch check: callers call it
    only on the SETTLE_AND_CONFIRM path)."""
    if not task_ids:
        return
    await workflow.execute_activity_method(
        DeadlineActivities.cancel_tasks,
        args=[workflow.info().workflow_id, sorted(task_ids), on, why],
        start_to_close_timeout=ACTIVITY_TIMEOUT,
        heartbeat_timeout=HEARTBEAT_TIMEOUT,
    )
    for task_id in task_ids:
        if task_id in book.open_tasks:
            book.open_tasks.remove(task_id)
        if task_id not in book.completed_tasks:
            book.completed_tasks.append(task_id)


def note_task_done(book: TaskBook, event: Relayed) -> None:
    """A relayed task_completed / task_cancelled: the task no longer holds the case open."""
    assert event.task_id is not None
    if event.task_id in book.open_tasks:
        book.open_tasks.remove(event.task_id)
    if event.task_id not in book.completed_tasks:
        book.completed_tasks.append(event.task_id)
    done = event.outcome if event.kind == Fact.TASK_COMPLETED else "cancelled"
    book.phase += f"; task done: {done}"
