"""The reply obligation: a report sent to an authority (or an urgent recommendation, or
a recommendation issued on its own) obliges the authority to reply by a due date.

One workflow per obligation, its id the business key (`obligation-<report>-<authority>`,
`obligation-urgent-<recommendation>`, `obligation-recommendation-<recommendation>`). It
learns facts only from relayed events and sleeps on a durable timer until the next step
of workflows/schedule.py: the reminder, the missed deadline, then each ladder level. Each
step is appended to the event store by an activity, with a command id made of the
workflow id and the step, so a retried activity or a replayed workflow appends nothing
twice. A reply for some recommendations keeps the obligation open for the rest; when
none is left it cancels the escalation tasks nobody needs any more and ends. When the
ladder is exhausted it stays until the caseworkers have completed (or cancelled) its
tasks, so completing the last escalation letter is what closes the obligation.

Time: the due date is a calendar date; a step dated D fires at 00:00 UTC on D plus
`ObligationStart.fire_at_seconds` (0 unless configured), on Temporal's clock
(workflow.now()). A reply due on D is therefore missed at the first moment of D + 1.

Changing this code: workflows in flight replay their history against the new code, so
any change to the sequence of commands (timers, activities, continue-as-new) for an
already recorded history must be guarded with `if workflow.patched("<change-id>"):`
(old branch kept until no workflow started before it is running, then
`workflow.deprecate_patch`). New message fields get defaults. The recorded histories in
tests/workflows/histories are replayed in CI (test_replay.py): a forgotten patch fails
the build.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.activities import DeadlineActivities
    from workflows.messages import (
        Decision,
        ImplementationState,
        ObligationStart,
        ObligationState,
        Relayed,
        TaskRequest,
    )
    from workflows.schedule import Step, next_reply_step

ACTIVITY_TIMEOUT = timedelta(minutes=2)
JOIN_GRACE = timedelta(days=1)

# Patches (see the module docstring). The *_v1 histories in tests/workflows/histories
# were recorded before them and must still replay.
# 1. After the last ladder level, wait until the caseworkers have done the tasks
#    (before: end at once, leaving the tasks in the inbox).
WAIT_FOR_TASKS = "wait-for-tasks-after-ladder"
# 2. On ending because every recommendation was answered, cancel the open tasks.
CANCEL_UNNEEDED_TASKS = "cancel-unneeded-tasks"
# 3. Each recommendation keeps its own due date: an extension granted for one of a
#    report's recommendations no longer moves the others' reminder, deadline and ladder
#    (before: any extension moved the whole obligation). The obligation runs on the
#    earliest due date among the pending recommendations, and each step names only
#    those due by then.
PER_RECOMMENDATION_DUE = "per-recommendation-due-dates"


def fire_time(day: date, fire_at_seconds: int = 0) -> datetime:
    """The instant a step dated `day` fires."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return midnight + timedelta(seconds=fire_at_seconds)


def step_day(now: datetime, fire_at_seconds: int = 0) -> date:
    """The business day whose steps are due at `now`: the inverse of fire_time."""
    return (now - timedelta(seconds=fire_at_seconds)).date()


# Both deadline workflows keep their caseworker tasks the same way.
TaskBook = ObligationState | ImplementationState


async def cancel_open_tasks(state: TaskBook, fire_at_seconds: int, why: str) -> None:
    """Cancel the tasks nobody needs any more (the case ended before they were done)."""
    if not state.open_tasks or not workflow.patched(CANCEL_UNNEEDED_TASKS):
        return
    await workflow.execute_activity_method(
        DeadlineActivities.cancel_tasks,
        args=[
            workflow.info().workflow_id,
            sorted(state.open_tasks),
            step_day(workflow.now(), fire_at_seconds).isoformat(),
            why,
        ],
        start_to_close_timeout=ACTIVITY_TIMEOUT,
    )
    state.completed_tasks.extend(sorted(state.open_tasks))
    state.open_tasks.clear()


def note_task_done(state: TaskBook, event: Relayed) -> None:
    """A relayed task_completed / task_cancelled: the task no longer holds the case open."""
    assert event.task_id is not None
    if event.task_id in state.open_tasks:
        state.open_tasks.remove(event.task_id)
    if event.task_id not in state.completed_tasks:
        state.completed_tasks.append(event.task_id)
    done = event.outcome if event.kind == "task_completed" else "cancelled"
    state.phase += f"; task done: {done}"


@workflow.defn
class ReplyObligationWorkflow:
    @workflow.init
    def __init__(self, start: ObligationStart, carried: ObligationState | None = None) -> None:
        # Built from the start arguments so the signal that started the workflow
        # (signal-with-start) already finds the carried-over state.
        self.start = start
        self.state = carried if carried is not None else ObligationState()
        self.changed = False

    @workflow.run
    async def run(self, start: ObligationStart, carried: ObligationState | None = None) -> str:
        state = self.state
        while True:
            if self._finished():
                await self._cancel_open_tasks("every recommendation was answered or released")
                state.phase = "ended: every recommendation answered or released"
                return state.phase
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(args=[start, state])
            today = step_day(workflow.now(), start.fire_at_seconds)
            step = (
                None
                if state.due_on is None
                else next_reply_step(
                    due_on=date.fromisoformat(state.due_on),
                    today=today,
                    known_since=date.fromisoformat(state.due_known_since or state.due_on),
                    reminder_days=start.reminder_days,
                    reminded=state.reminded,
                    missed_on=date.fromisoformat(state.missed_on) if state.missed_on else None,
                    ladder=state.ladder,
                    levels_done=state.levels_done,
                )
            )
            if step is None and state.missed_on is not None:
                if state.open_tasks and workflow.patched(WAIT_FOR_TASKS):
                    # Nothing left to escalate: the case closes when the letters are out.
                    state.phase = (
                        f"escalation ladder exhausted; waiting for {len(state.open_tasks)} task(s)"
                    )
                    await self._wait(None, start)
                    continue
                state.phase = "ended: escalation ladder exhausted"
                return state.phase
            if step is None or step.on > today:
                await self._wait(step, start)
                continue
            if not state.pending and not state.resolved:
                # The report's recommendations are relayed one by one after the sending;
                # give them a day to arrive before deciding there is nothing to answer.
                self.changed = False
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self.changed, timeout=JOIN_GRACE)
                if not state.pending and not state.resolved:
                    state.phase = "ended: no recommendation under this obligation"
                    return state.phase
                continue
            await self._perform(start, step)

    async def _wait(self, step: Step | None, start: ObligationStart) -> None:
        """Sleep until the step's day, or until a relayed event changes the picture."""
        self.changed = False
        if step is None:
            await workflow.wait_condition(lambda: self.changed)
            return
        delay = fire_time(step.on, start.fire_at_seconds) - workflow.now()
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self.changed, timeout=delay)

    async def _perform(self, start: ObligationStart, step: Step) -> None:
        state = self.state
        workflow_id = workflow.info().workflow_id
        due = state.due_on
        assert due is not None
        pending = sorted(state.pending)
        if state.dues and workflow.patched(PER_RECOMMENDATION_DUE):
            pending = [rec for rec in pending if state.dues.get(rec, due) <= due]
        if step.kind == "reminder":
            await self._decide(
                Decision(
                    workflow_id, f"reminder-{due}", "reminder", pending, step.on.isoformat(), due
                )
            )
            state.reminded = True
            state.phase = f"reminded on {step.on.isoformat()}, reply due {due}"
            return
        if step.kind == "missed":
            await self._decide(
                Decision(workflow_id, f"missed-{due}", "missed", pending, step.on.isoformat(), due)
            )
            state.missed_on = step.on.isoformat()
            state.ladder = await workflow.execute_activity_method(
                DeadlineActivities.escalation_ladder,
                args=[start.authority_id, due],
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
            state.phase = f"reply missed (was due {due})"
            return
        rung = state.ladder[step.level - 1]
        step_id = f"escalation-{due}-{step.level}"
        await self._decide(
            Decision(
                workflow_id,
                step_id,
                "escalation",
                pending,
                step.on.isoformat(),
                due,
                level=step.level,
                action=rung.action,
                addressee=rung.addressee,
            )
        )
        task_id = await workflow.execute_activity_method(
            DeadlineActivities.open_task,
            TaskRequest(
                workflow_id=workflow_id,
                step=step_id,
                kind="send_escalation_letter",
                title=f"{rung.action} to {rung.addressee} (level {step.level}): "
                f"{len(pending)} recommendation(s) unanswered since {due}",
                role="caseworker",
                business_date=step.on.isoformat(),
                due_on=(step.on + timedelta(days=rung.wait_days)).isoformat(),
                recommendation_ids=pending,
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )
        if task_id not in state.open_tasks and task_id not in state.completed_tasks:
            state.open_tasks.append(task_id)
        state.levels_done = step.level
        state.phase = f"escalated to level {step.level}: {rung.action} to {rung.addressee}"

    async def _decide(self, decision: Decision) -> None:
        if decision.recommendation_ids:
            await workflow.execute_activity_method(
                DeadlineActivities.record_decision,
                decision,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )

    async def _cancel_open_tasks(self, why: str) -> None:
        await cancel_open_tasks(self.state, self.start.fire_at_seconds, why)

    def _finished(self) -> bool:
        return bool(self.state.resolved) and not self.state.pending

    @workflow.signal
    def deliver(self, event: Relayed) -> None:
        state = self.state
        if event.event_id in state.seen:
            return
        state.seen.append(event.event_id)
        if workflow.patched(PER_RECOMMENDATION_DUE):
            self._deliver_per_recommendation(event)
        else:
            self._deliver_v1(event)
        self.changed = True

    def _deliver_per_recommendation(self, event: Relayed) -> None:
        state = self.state
        rec = event.recommendation_id
        if event.kind == "sent" and event.due_on:
            if state.due_on is None:
                self._set_due(event.due_on)
                state.phase = f"waiting for the reply, due {state.due_on}"
        elif event.kind == "joined" and rec:
            if rec not in state.pending and rec not in state.resolved:
                state.pending.append(rec)
                state.dues[rec] = event.due_on or state.due_on or ""
        elif event.kind in ("answered", "released") and rec:
            if rec in state.pending:
                state.pending.remove(rec)
            state.dues.pop(rec, None)
            if rec not in state.resolved:
                state.resolved.append(rec)
        elif event.kind == "extended" and event.due_on and rec in state.pending:
            if event.due_on > state.dues.get(rec, ""):
                state.dues[rec] = event.due_on
        elif event.kind in ("task_completed", "task_cancelled") and event.task_id:
            note_task_done(self.state, event)
            return
        self._retime()

    def _retime(self) -> None:
        """Runs the obligation on the earliest due date among the pending recommendations;
        when that date changes (an extension, or the earliest ones answered), the reminder,
        the missed deadline and the ladder start again from the new date."""
        state = self.state
        dues = [state.dues[rec] for rec in state.pending if state.dues.get(rec)]
        if not dues:
            return
        earliest = min(dues)
        if earliest == state.due_on:
            return
        moved = state.due_on is not None
        self._set_due(earliest)
        if moved:
            state.reminded = False
            state.missed_on = None
            state.levels_done = 0
            state.phase = f"due date now {earliest}"
        else:
            state.phase = f"waiting for the reply, due {earliest}"

    def _deliver_v1(self, event: Relayed) -> None:
        """Before PER_RECOMMENDATION_DUE: kept for workflows started before it."""
        state = self.state
        rec = event.recommendation_id
        if event.kind == "sent" and event.due_on:
            if state.due_on is None or state.missed_on is None:
                self._set_due(event.due_on)
            state.phase = f"waiting for the reply, due {state.due_on}"
        elif event.kind == "joined" and rec:
            if rec not in state.pending and rec not in state.resolved:
                state.pending.append(rec)
            if state.due_on is None and event.due_on:
                self._set_due(event.due_on)
                state.phase = f"waiting for the reply, due {state.due_on}"
        elif event.kind in ("answered", "released") and rec:
            if rec in state.pending:
                state.pending.remove(rec)
            if rec not in state.resolved:
                state.resolved.append(rec)
        elif event.kind == "extended" and event.due_on and rec in state.pending:
            if state.due_on is None or event.due_on > state.due_on:
                # The authority was given more time: the reminder, the missed deadline
                # and the ladder all start again from the new date.
                self._set_due(event.due_on)
                state.reminded = False
                state.missed_on = None
                state.levels_done = 0
                state.phase = f"deadline extended to {state.due_on}"
        elif event.kind in ("task_completed", "task_cancelled") and event.task_id:
            note_task_done(self.state, event)

    def _set_due(self, due_on: str) -> None:
        self.state.due_on = due_on
        self.state.due_known_since = step_day(
            workflow.now(), self.start.fire_at_seconds
        ).isoformat()

    @workflow.query
    def status(self) -> ObligationState:
        return self.state
