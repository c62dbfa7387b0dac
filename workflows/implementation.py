"""Implementation follow-up: one workflow per recommendation the authority accepted (in
full or in part) with an agreed implementation date, id `implementation-<recommendation>`.

On the agreed date it opens a "verify implementation" task (plan a follow-up visit or
ask for evidence). If the recommendation is not assessed as implemented and verified
within VERIFY_DAYS of that date, the implementation is overdue: that is recorded and the
authority's escalation ladder is climbed as for a missed reply. It ends when the
recommendation is implemented and verified, withdrawn or closed (cancelling the tasks it
opened that nobody needs any more), or, once the ladder is exhausted, when its tasks are
completed.

Changing this code: see the patching rule in workflows/obligation.py.
"""

from __future__ import annotations

import contextlib
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.activities import DeadlineActivities
    from workflows.messages import (
        Decision,
        ImplementationStart,
        ImplementationState,
        Relayed,
        TaskRequest,
    )
    from workflows.obligation import (
        ACTIVITY_TIMEOUT,
        WAIT_FOR_TASKS,
        cancel_open_tasks,
        fire_time,
        note_task_done,
        step_day,
    )
    from workflows.schedule import level_start

VERIFY_DAYS = 30


@workflow.defn
class ImplementationFollowUpWorkflow:
    @workflow.init
    def __init__(
        self, start: ImplementationStart, carried: ImplementationState | None = None
    ) -> None:
        self.start = start
        self.state = carried if carried is not None else ImplementationState()
        self.changed = False

    @workflow.run
    async def run(
        self, start: ImplementationStart, carried: ImplementationState | None = None
    ) -> str:
        state = self.state
        workflow_id = workflow.info().workflow_id
        rec = start.recommendation_id
        while True:
            if state.released or (state.implemented and state.verified):
                await self._cancel_open_tasks(
                    "the recommendation was withdrawn or closed"
                    if state.released
                    else "the implementation was assessed and verified"
                )
                state.phase = (
                    "ended: implemented and verified" if not state.released else "ended: released"
                )
                return state.phase
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(args=[start, state])
            today = step_day(workflow.now(), start.fire_at_seconds)
            if state.agreed_on is None:
                await self._wait(None)
                continue
            agreed = date.fromisoformat(state.agreed_on)
            overdue_on = agreed + timedelta(days=VERIFY_DAYS)
            if state.verify_task is None:
                if agreed > today:
                    await self._wait(agreed)
                    continue
                state.verify_task = await workflow.execute_activity_method(
                    DeadlineActivities.open_task,
                    TaskRequest(
                        workflow_id=workflow_id,
                        step=f"verify-{agreed.isoformat()}",
                        kind="verify_implementation",
                        title="Verify implementation: plan a follow-up visit or request "
                        f"evidence (agreed for {agreed.isoformat()})",
                        role="caseworker",
                        business_date=agreed.isoformat(),
                        due_on=overdue_on.isoformat(),
                        recommendation_ids=[rec],
                    ),
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                )
                if state.verify_task not in state.completed_tasks:
                    state.open_tasks.append(state.verify_task)
                state.phase = f"verification due by {overdue_on.isoformat()}"
                continue
            if state.overdue_on is None:
                if overdue_on > today:
                    await self._wait(overdue_on)
                    continue
                await self._decide(
                    Decision(
                        workflow_id,
                        f"overdue-{agreed.isoformat()}",
                        "implementation_overdue",
                        [rec],
                        overdue_on.isoformat(),
                        agreed.isoformat(),
                    )
                )
                state.overdue_on = overdue_on.isoformat()
                state.ladder = await workflow.execute_activity_method(
                    DeadlineActivities.escalation_ladder,
                    args=[start.authority_id, agreed.isoformat()],
                    start_to_close_timeout=ACTIVITY_TIMEOUT,
                )
                state.phase = f"implementation overdue since {overdue_on.isoformat()}"
                continue
            if state.levels_done >= len(state.ladder):
                if state.open_tasks and workflow.patched(WAIT_FOR_TASKS):
                    state.phase = (
                        f"escalation ladder exhausted; waiting for {len(state.open_tasks)} task(s)"
                    )
                    await self._wait(None)
                    continue
                state.phase = "ended: escalation ladder exhausted"
                return state.phase
            level = state.levels_done + 1
            due_on = level_start(overdue_on, state.ladder, level)
            while (
                level < len(state.ladder)
                and level_start(overdue_on, state.ladder, level + 1) <= today
            ):
                level += 1
                due_on = level_start(overdue_on, state.ladder, level)
            if due_on > today:
                await self._wait(due_on)
                continue
            rung = state.ladder[level - 1]
            step = f"escalation-{agreed.isoformat()}-{level}"
            await self._decide(
                Decision(
                    workflow_id,
                    step,
                    "escalation",
                    [rec],
                    due_on.isoformat(),
                    agreed.isoformat(),
                    level=level,
                    action=rung.action,
                    addressee=rung.addressee,
                )
            )
            task_id = await workflow.execute_activity_method(
                DeadlineActivities.open_task,
                TaskRequest(
                    workflow_id=workflow_id,
                    step=step,
                    kind="escalate_implementation",
                    title=f"{rung.action} to {rung.addressee} (level {level}): implementation "
                    f"agreed for {agreed.isoformat()} not verified",
                    role="caseworker",
                    business_date=due_on.isoformat(),
                    due_on=(due_on + timedelta(days=rung.wait_days)).isoformat(),
                    recommendation_ids=[rec],
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
            )
            if task_id not in state.open_tasks and task_id not in state.completed_tasks:
                state.open_tasks.append(task_id)
            state.levels_done = level
            state.phase = f"implementation escalated to level {level}"

    async def _wait(self, until: date | None) -> None:
        self.changed = False
        if until is None:
            await workflow.wait_condition(lambda: self.changed)
            return
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: self.changed,
                timeout=fire_time(until, self.start.fire_at_seconds) - workflow.now(),
            )

    async def _cancel_open_tasks(self, why: str) -> None:
        await cancel_open_tasks(self.state, self.start.fire_at_seconds, why)

    async def _decide(self, decision: Decision) -> None:
        await workflow.execute_activity_method(
            DeadlineActivities.record_decision,
            decision,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
        )

    @workflow.signal
    def deliver(self, event: Relayed) -> None:
        state = self.state
        if event.event_id in state.seen:
            return
        state.seen.append(event.event_id)
        if event.kind == "agreed" and event.due_on and event.due_on != state.agreed_on:
            # A new agreement (a later reply) starts the follow-up again from its date.
            state.agreed_on = event.due_on
            state.verify_task = None
            state.overdue_on = None
            state.levels_done = 0
            state.phase = f"waiting for the agreed implementation date {event.due_on}"
        elif event.kind == "assessed":
            state.implemented = event.status == "implemented"
            state.verified = event.verified
        elif event.kind == "verified":
            state.verified = True
        elif event.kind == "released":
            state.released = True
        elif event.kind in ("task_completed", "task_cancelled") and event.task_id:
            note_task_done(state, event)
        self.changed = True

    @workflow.query
    def status(self) -> ImplementationState:
        return self.state
