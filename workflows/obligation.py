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
tests/workflows/histories are replayed in CI (test_replay_histories.py): a forgotten patch fails
the build.
"""

from __future__ import annotations

from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.letters import LetterKind
    from domain.task import TaskKind
    from workflows import casework, letter_batch, obligation_facts
    from workflows.clock import Wakeup
    from workflows.messages import (
        Decision,
        DecisionKind,
        EscalationStep,
        LetterRequest,
        ObligationStart,
        ObligationState,
        Relayed,
    )
    from workflows.schedule import Step, StepKind, level_start, next_reply_step

JOIN_GRACE = timedelta(days=1)

# Patches (see the module docstring). Patches 1 and 2 are shared with the implementation
# follow-up (workflows/casework.py: WAIT_FOR_TASKS, CANCEL_UNNEEDED_TASKS); the *_v1
# histories were recorded before them, the *_v2 ones before this one:
# 3. Each recommendation keeps its own due date: an extension granted for one of a
#    report's recommendations no longer moves the others' reminder, deadline and ladder
#    (before: any extension moved the whole obligation). The obligation runs on the
#    earliest due date among the pending recommendations, and each step names only
#    those due by then.
PER_RECOMMENDATION_DUE = "per-recommendation-due-dates"
# 4. Letters: each step also has its letter to the authority written (the reminder, the
#    missed deadline, each ladder level; and the report's transmittal once it is sent),
#    through the generate_letter activity. Asked once at the start of a run, so a
#    workflow started before it writes none (the *_v4 histories were recorded before it).
LETTERS = "letters"
# 5. BATCHED_LETTERS (workflows/letter_batch.py): a step writes no reminder, missed-deadline
#    or escalation letter; the relay joins them into one per authority and day from the
#    step's events, which say so (letters_batched: a workflow started before the patch
#    writes its own, and the relay leaves its events alone; the *_v6 histories before).
# A step caught up on more than this long after its day (a back-dated import, the demo)
# gets no letter: nobody would send it now; a caseworker can still write one by hand.
LETTER_HORIZON = timedelta(days=31)


def escalation_title(due: date) -> str:
    """The title of a level's task, {action}, {addressee}, {level} and {count} to fill."""
    return (
        "{action} to {addressee} (level {level}): "
        f"{{count}} recommendation(s) unanswered since {due}"
    )


@workflow.defn
class ReplyObligationWorkflow:
    @workflow.init
    def __init__(self, start: ObligationStart, carried: ObligationState | None = None) -> None:
        # Built from the start arguments so the signal that started the workflow
        # (signal-with-start) already finds the carried-over state.
        self.start = start
        self.state = carried if carried is not None else ObligationState()
        self.wakeup = Wakeup(start.fire_at_seconds)

    @workflow.run
    async def run(self, start: ObligationStart, carried: ObligationState | None = None) -> str:
        state = self.state
        # Asked once, first thing, so a replay meets the marker where it was recorded.
        self.confirm = workflow.patched(casework.SETTLE_AND_CONFIRM)
        self.letters = workflow.patched(LETTERS)
        self.one_command = self.confirm and workflow.patched(casework.ONE_COMMAND_STEP)
        self.batched = self.one_command and workflow.patched(letter_batch.BATCHED_LETTERS)
        self.tasks_awaited = self.batched and workflow.patched(casework.TASKS_AWAITED)
        while True:
            if self.confirm:
                await self._cancel_unneeded_tasks()
            if self._finished():
                await casework.cancel_open_tasks(
                    state, self.wakeup.today(), "every recommendation was answered or released"
                )
                state.phase = "ended: every recommendation answered or released"
                return state.phase
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(args=[start, state])
            if self._transmittal_due():
                await self._transmit()
                continue
            today = self.wakeup.today()
            step = (
                None
                if state.due_on is None
                else next_reply_step(
                    due_on=state.due_on,
                    today=today,
                    known_since=state.due_known_since or state.due_on,
                    reminder_days=start.reminder_days,
                    reminded=state.reminded,
                    missed_on=state.missed_on,
                    ladder=state.ladder,
                    levels_done=state.levels_done,
                )
            )
            if step is None and state.missed_on is not None:
                ended = await casework.after_the_ladder(state, self.wakeup, self.tasks_awaited)
                if ended is None:
                    continue
                return ended
            if step is None or step.on > today:
                await self.wakeup.at(None if step is None else step.on)
                continue
            if not state.pending and not state.resolved:
                # The report's recommendations are relayed one by one after the sending;
                # give them a day to arrive before deciding there is nothing to answer.
                await self.wakeup.within(JOIN_GRACE)
                if not state.pending and not state.resolved:
                    state.phase = "ended: no recommendation under this obligation"
                    return state.phase
                continue
            if self.confirm and step.on < today and await casework.settle(state, today):
                # Catching up (a back-dated report, a relay's burst at start-up): let the
                # rest of the report's events arrive before deciding for whom it is late.
                continue
            await self._perform(start, step)

    async def _perform(self, start: ObligationStart, step: Step) -> None:
        state = self.state
        workflow_id = workflow.info().workflow_id
        due = state.due_on
        assert due is not None
        pending = sorted(state.pending)
        if state.dues and workflow.patched(PER_RECOMMENDATION_DUE):
            pending = [rec for rec in pending if state.dues.get(rec, due) <= due]
        if step.kind == StepKind.REMINDER:
            applied = await casework.decide(
                Decision(
                    workflow_id,
                    f"reminder-{due}",
                    DecisionKind.REMINDER,
                    pending,
                    step.on,
                    due,
                    letters_batched=self.batched,
                )
            )
            if self.confirm:
                self._resolve_skipped(pending, applied)
            await self._letter(LetterKind.REMINDER, f"reminder-{due}", applied, step.on, due)
            state.reminded = True
            state.phase = f"reminded on {step.on}, reply due {due}"
            return
        if step.kind == StepKind.MISSED and self.one_command:
            await self._escalation_step(start, step, pending, due, DecisionKind.MISSED)
            return
        if step.kind == StepKind.MISSED:
            applied = await casework.decide(
                Decision(workflow_id, f"missed-{due}", DecisionKind.MISSED, pending, step.on, due)
            )
            if self.confirm:
                self._resolve_skipped(pending, applied)
                if not applied:
                    # Everyone named had been answered: missed for nobody (yet).
                    return
                state.missed_recs.extend(r for r in applied if r not in state.missed_recs)
            state.missed_on = step.on
            await self._letter(LetterKind.DEADLINE_MISSED, f"missed-{due}", applied, step.on, due)
            state.ladder = await casework.escalation_ladder(start.authority_id, due)
            state.phase = f"reply missed (was due {due})"
            return
        if self.confirm:
            pending = await self._missed_late(pending, due)
        if self.one_command:
            if pending:
                await self._escalation_step(start, step, pending, due, None)
            return
        escalation = await casework.escalate(
            state,
            step,
            due_on=due,
            recommendation_ids=pending,
            task_kind=TaskKind.SEND_ESCALATION_LETTER,
            title=lambda rung, named: escalation_title(due).format(
                action=rung.action, addressee=rung.addressee, level=step.level, count=len(named)
            ),
            confirm=self.confirm,
        )
        rung = escalation.rung
        if self.confirm:
            self._resolve_skipped(pending, escalation.applied)
            if escalation.task_id is None:
                return
            state.task_recs[escalation.task_id] = list(escalation.applied)
        await self._letter(
            LetterKind.ESCALATION,
            f"escalation-{due}-{step.level}",
            escalation.applied,
            step.on,
            due,
            step.level,
        )
        state.phase = f"escalated to level {step.level}: {rung.action} to {rung.addressee}"

    async def _escalation_step(
        self,
        start: ObligationStart,
        step: Step,
        pending: list[str],
        due: date,
        deadline: DecisionKind | None,
    ) -> None:
        """Patch ONE_COMMAND_STEP: the missed deadline (at the MISSED step) and the next
        ladder level with its task in one command, then the step's letters."""
        state = self.state
        missed_on = step.on if deadline else state.missed_on
        assert missed_on is not None
        step_id = f"missed-{due}" if deadline else f"escalation-{due}-{step.level}"
        done = await casework.escalation_step(
            state,
            EscalationStep(
                workflow.info().workflow_id,
                step_id,
                start.authority_id,
                pending,
                due,
                missed_on,
                self.wakeup.today(),
                state.levels_done,
                TaskKind.SEND_ESCALATION_LETTER,
                escalation_title(due),
                deadline,
                awaiting_reply=True,
                letters_batched=self.batched,
            ),
        )
        recorded = done.deadline_on if deadline else done.escalated
        self._resolve_skipped(pending, recorded)
        if deadline:
            if not recorded:
                return  # everyone named had been answered: missed for nobody (yet)
            state.missed_recs.extend(r for r in recorded if r not in state.missed_recs)
            state.missed_on = missed_on
            state.ladder = done.ladder
            state.phase = f"reply missed (was due {due})"
            await self._letter(LetterKind.DEADLINE_MISSED, step_id, recorded, missed_on, due)
        if done.task_id is None:
            return
        state.task_recs[done.task_id] = list(done.escalated)
        await self._letter(
            LetterKind.ESCALATION,
            f"escalation-{due}-{done.level}",
            done.escalated,
            level_start(missed_on, state.ladder, done.level),
            due,
            done.level,
        )
        rung = state.ladder[done.level - 1]
        state.phase = f"escalated to level {done.level}: {rung.action} to {rung.addressee}"

    def _transmittal_due(self) -> bool:
        """A report's obligation, the report sent and its recommendations joining, no
        step taken yet: time for the transmittal letter (patch LETTERS)."""
        state = self.state
        return (
            self.letters
            and not state.transmitted
            and state.sent_on is not None
            and bool(state.pending)
            and not state.reminded
            and state.missed_on is None
            and not workflow.info().workflow_id.startswith(
                ("obligation-urgent-", "obligation-recommendation-")
            )
        )

    async def _transmit(self) -> None:
        state = self.state
        assert state.sent_on is not None
        if state.sent_on >= self.wakeup.today() - LETTER_HORIZON:
            # The report's recommendations are relayed one by one after the sending:
            # let the rest arrive, so the letter lists them all.
            await workflow.sleep(casework.SETTLE)
            await self._letter(
                LetterKind.TRANSMITTAL, "transmittal", state.pending, state.sent_on, state.due_on
            )
        state.transmitted = True

    async def _letter(
        self,
        kind: LetterKind,
        step_id: str,
        recommendation_ids: list[str],
        on: date,
        due: date | None,
        level: int | None = None,
    ) -> None:
        """The step's letter (patch LETTERS), unless the step is long past."""
        if not self.letters or not recommendation_ids:
            return
        if self.batched and letter_batch.batched(kind):
            return  # the relay batches it from the step's events (workflows/letter_batch.py)
        if on < self.wakeup.today() - LETTER_HORIZON:
            return
        request = LetterRequest(
            workflow.info().workflow_id,
            step_id,
            kind,
            self.start.authority_id,
            sorted(recommendation_ids),
            on,
            due,
            level,
        )
        await casework.write_letter(request, own_queue=self.one_command)

    async def _missed_late(self, pending: list[str], due: date) -> list[str]:
        """Records the missed deadline on the recommendations that joined after it was
        recorded on the others (still unanswered, and due by then); returns those of
        `pending` still awaiting a reply."""
        state = self.state
        late = [rec for rec in pending if rec not in state.missed_recs]
        if late and state.missed_on is not None:
            applied = await casework.decide(
                Decision(
                    workflow.info().workflow_id,
                    f"missed-{due}",
                    DecisionKind.MISSED,
                    late,
                    state.missed_on,
                    due,
                )
            )
            self._resolve_skipped(late, applied)
            state.missed_recs.extend(applied)
        return [rec for rec in pending if rec in state.pending]

    def _resolve_skipped(self, named: list[str], applied: list[str]) -> None:
        """A recommendation a decision was not recorded on no longer awaits a reply (its
        answer or withdrawal is on its way through the relay): resolve it now."""
        state = self.state
        for rec in named:
            if rec in applied:
                continue
            if rec in state.pending:
                state.pending.remove(rec)
            state.dues.pop(rec, None)
            if rec not in state.resolved:
                state.resolved.append(rec)
            state.why.setdefault(rec, "it no longer awaits a reply")

    async def _cancel_unneeded_tasks(self) -> None:
        """Cancels each open task whose recommendations are all resolved, saying why."""
        state = self.state
        for task_id in list(state.open_tasks):
            recs = state.task_recs.get(task_id)
            if not recs or any(rec not in state.resolved for rec in recs):
                continue
            reasons = sorted({state.why.get(rec, "answered") for rec in recs})
            why = "no longer needed: " + (
                reasons[0]
                if len(recs) == 1
                else f"every recommendation it names was resolved ({'; '.join(reasons)})"
            )
            await casework.cancel_tasks(state, [task_id], self.wakeup.today(), why)

    def _finished(self) -> bool:
        return bool(self.state.resolved) and not self.state.pending

    @workflow.signal
    def deliver(self, event: Relayed) -> None:
        state = self.state
        if event.event_id in state.seen:
            return
        state.seen.append(event.event_id)
        if workflow.patched(PER_RECOMMENDATION_DUE):
            obligation_facts.per_recommendation(state, event, self.wakeup.today())
        else:
            obligation_facts.whole_obligation(state, event, self.wakeup.today())
        self.wakeup.ring()

    @workflow.query
    def status(self) -> ObligationState:
        return self.state
