"""Implementation follow-up: one workflow per recommendation the authority accepted (in
full or in part) with an agreed implementation date, id `implementation-<recommendation>`.

On the agreed date it opens a "verify implementation" task (plan a follow-up visit or
ask for evidence). If the recommendation is not assessed as implemented and verified
within VERIFY_DAYS of that date, the implementation is overdue: that is recorded and the
authority's escalation ladder is climbed as for a missed reply (the dates of each step:
`next_implementation_step` in workflows/schedule.py). It ends when the
recommendation is implemented and verified, withdrawn or closed (cancelling the tasks it
opened that nobody needs any more), or, once the ladder is exhausted, when its tasks are
completed.

Changing this code: see the patching rule in workflows/obligation.py.
"""

from __future__ import annotations

from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.task import TaskKind
    from domain.values import Role
    from workflows import casework
    from workflows.clock import Wakeup
    from workflows.implementation_letter import write_overdue_letter
    from workflows.messages import (
        Decision,
        DecisionKind,
        EscalationStep,
        Fact,
        ImplementationStart,
        ImplementationState,
        Relayed,
        TaskRequest,
    )
    from workflows.schedule import (
        Step,
        StepKind,
        next_escalation,
        next_implementation_step,
        overdue_on,
    )


def escalation_title(agreed: date) -> str:
    """The title of a level's task, {action}, {addressee} and {level} to fill."""
    return (
        "{action} to {addressee} (level {level}): "
        f"implementation agreed for {agreed} not verified"
    )


@workflow.defn
class ImplementationFollowUpWorkflow:
    @workflow.init
    def __init__(
        self, start: ImplementationStart, carried: ImplementationState | None = None
    ) -> None:
        self.start = start
        self.state = carried if carried is not None else ImplementationState()
        self.wakeup = Wakeup(start.fire_at_seconds)

    @workflow.run
    async def run(
        self, start: ImplementationStart, carried: ImplementationState | None = None
    ) -> str:
        state = self.state
        # Asked once, first thing, so a replay meets the marker where it was recorded.
        self.confirm = workflow.patched(casework.SETTLE_AND_CONFIRM)
        self.one_command = self.confirm and workflow.patched(casework.ONE_COMMAND_STEP)
        while True:
            if state.released or (state.implemented and state.verified):
                await casework.cancel_open_tasks(
                    state,
                    self.wakeup.today(),
                    "the recommendation was withdrawn or closed"
                    if state.released
                    else "the implementation was assessed and verified",
                )
                state.phase = (
                    "ended: implemented and verified" if not state.released else "ended: released"
                )
                return state.phase
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(args=[start, state])
            today = self.wakeup.today()
            if state.agreed_on is None:
                await self.wakeup.at(None)
                continue
            step = next_implementation_step(
                agreed_on=state.agreed_on,
                today=today,
                verify_opened=state.verify_task is not None,
                overdue=state.overdue_on is not None,
                ladder=state.ladder,
                levels_done=state.levels_done,
            )
            if self.confirm and state.implemented:
                # Implemented, not yet verified: the letters to the authority are no
                # longer needed (only the verification is), and no level follows.
                await casework.cancel_tasks(
                    state,
                    [t for t in state.open_tasks if t != state.verify_task],
                    today,
                    "no longer needed: the implementation was assessed as implemented"
                    f" on {state.implemented_on}",
                )
                if step is None or step.kind != StepKind.VERIFY:
                    state.phase = "implemented; waiting for the verification"
                    await self.wakeup.at(None)
                    continue
            if step is None:
                ended = await casework.after_the_ladder(state, self.wakeup)
                if ended is None:
                    continue
                return ended
            if step.on > today:
                await self.wakeup.at(step.on)
                continue
            if self.confirm and step.on < today and await casework.settle(state, today):
                continue  # catching up: let the rest of the burst arrive first
            await self._perform(state.agreed_on, step)

    async def _perform(self, agreed: date, step: Step) -> None:
        state = self.state
        workflow_id = workflow.info().workflow_id
        rec = self.start.recommendation_id
        if step.kind == StepKind.VERIFY:
            due = overdue_on(agreed)
            state.verify_task = await casework.open_task(
                state,
                TaskRequest(
                    workflow_id=workflow_id,
                    step=f"verify-{agreed}",
                    kind=TaskKind.VERIFY_IMPLEMENTATION,
                    title="Verify implementation: plan a follow-up visit or request "
                    f"evidence (agreed for {agreed})",
                    role=Role.CASEWORKER,
                    business_date=agreed,
                    due_on=due,
                    recommendation_ids=[rec],
                ),
            )
            state.phase = f"verification due by {due}"
            return
        if self.one_command and step.kind in (StepKind.OVERDUE, StepKind.ESCALATION):
            await self._escalation_step(agreed, step)
            return
        if step.kind == StepKind.OVERDUE:
            overdue = await casework.decide(
                Decision(
                    workflow_id,
                    f"overdue-{agreed}",
                    DecisionKind.IMPLEMENTATION_OVERDUE,
                    [rec],
                    step.on,
                    agreed,
                )
            )
            state.overdue_on = step.on
            await write_overdue_letter(
                self.start.authority_id, overdue, agreed, step.on, self.wakeup.today()
            )
            state.ladder = await casework.escalation_ladder(self.start.authority_id, agreed)
            state.phase = f"implementation overdue since {step.on}"
            return
        await casework.escalate(
            state,
            step,
            due_on=agreed,
            recommendation_ids=[rec],
            task_kind=TaskKind.ESCALATE_IMPLEMENTATION,
            title=lambda rung, _: escalation_title(agreed).format(
                action=rung.action, addressee=rung.addressee, level=step.level
            ),
        )
        state.phase = f"implementation escalated to level {step.level}"

    async def _escalation_step(self, agreed: date, step: Step) -> None:
        """Patch ONE_COMMAND_STEP: the overdue implementation (at the OVERDUE step) and the
        next ladder level with its task in one command. A level recorded on nobody (the
        recommendation was closed meanwhile; its release is on its way) counts as done."""
        state = self.state
        overdue = step.kind == StepKind.OVERDUE
        missed_on = overdue_on(agreed)
        today = self.wakeup.today()
        done = await casework.escalation_step(
            state,
            EscalationStep(
                workflow.info().workflow_id,
                f"overdue-{agreed}" if overdue else f"escalation-{agreed}-{step.level}",
                self.start.authority_id,
                [self.start.recommendation_id],
                agreed,
                missed_on,
                today,
                state.levels_done,
                TaskKind.ESCALATE_IMPLEMENTATION,
                escalation_title(agreed),
                DecisionKind.IMPLEMENTATION_OVERDUE if overdue else None,
            ),
        )
        if overdue:
            state.overdue_on = step.on
            state.ladder = done.ladder
            state.phase = f"implementation overdue since {step.on}"
            await write_overdue_letter(
                self.start.authority_id, done.deadline_on, agreed, step.on, today, own_queue=True
            )
        if done.task_id is None:
            skipped = next_escalation(
                missed_on=missed_on, today=today, ladder=state.ladder, levels_done=state.levels_done
            )
            state.levels_done = skipped.level if skipped else len(state.ladder)
            return
        state.phase = f"implementation escalated to level {done.level}"

    @workflow.signal
    def deliver(self, event: Relayed) -> None:
        state = self.state
        if event.event_id in state.seen:
            return
        state.seen.append(event.event_id)
        if event.kind == Fact.AGREED and event.due_on and event.due_on != state.agreed_on:
            # A new agreement (a later reply) starts the follow-up again from its date.
            state.agreed_on = event.due_on
            state.verify_task = None
            state.overdue_on = None
            state.levels_done = 0
            state.phase = f"waiting for the agreed implementation date {event.due_on}"
        elif event.kind == Fact.ASSESSED:
            state.implemented = event.status == "implemented"
            state.verified = event.verified
            state.implemented_on = event.on if state.implemented else None
        elif event.kind == Fact.VERIFIED:
            state.verified = True
        elif event.kind == Fact.RELEASED:
            state.released = True
        elif event.kind in (Fact.TASK_COMPLETED, Fact.TASK_CANCELLED) and event.task_id:
            casework.note_task_done(state, event)
        self.wakeup.ring()

    @workflow.query
    def status(self) -> ImplementationState:
        return self.state
