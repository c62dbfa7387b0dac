"""How a relayed fact changes a reply obligation's state (workflows/obligation.py): a
report sent, a recommendation joining, answered, released or given more time, a task
done. Pure functions of the state, the fact and the business day, so they run inside the
workflow's signal handler and replay as they ran.

Two generations: `per_recommendation` (patch PER_RECOMMENDATION_DUE: each recommendation
keeps its own due date) and `whole_obligation`, kept for workflows started before it."""

from __future__ import annotations

from datetime import date

from workflows import casework
from workflows.messages import Fact, ObligationState, Relayed


def set_due(state: ObligationState, due_on: date, today: date) -> None:
    state.due_on = due_on
    state.due_known_since = today


def per_recommendation(state: ObligationState, event: Relayed, today: date) -> None:
    rec = event.recommendation_id
    if event.kind == Fact.SENT and event.due_on:
        state.sent_on = state.sent_on or event.on
        if state.due_on is None:
            set_due(state, event.due_on, today)
            state.phase = f"waiting for the reply, due {state.due_on}"
    elif event.kind == Fact.JOINED and rec:
        if rec not in state.pending and rec not in state.resolved:
            state.pending.append(rec)
            due = event.due_on or state.due_on
            if due is not None:
                state.dues[rec] = due
    elif event.kind in (Fact.ANSWERED, Fact.RELEASED) and rec:
        if rec in state.pending:
            state.pending.remove(rec)
        state.dues.pop(rec, None)
        if rec not in state.resolved:
            state.resolved.append(rec)
        state.why[rec] = (
            f"the authority's reply was received on {event.on}"
            if event.kind == Fact.ANSWERED
            else f"the recommendation was {event.status or 'withdrawn or closed'} on {event.on}"
        )
    elif event.kind == Fact.EXTENDED and event.due_on and rec in state.pending:
        known = state.dues.get(rec)
        if known is None or event.due_on > known:
            state.dues[rec] = event.due_on
    elif event.kind in (Fact.TASK_COMPLETED, Fact.TASK_CANCELLED) and event.task_id:
        casework.note_task_done(state, event)
        return
    retime(state, today)


def retime(state: ObligationState, today: date) -> None:
    """Runs the obligation on the earliest due date among the pending recommendations;
    when that date changes (an extension, or the earliest ones answered), the reminder,
    the missed deadline and the ladder start again from the new date."""
    dues = [state.dues[rec] for rec in state.pending if rec in state.dues]
    if not dues:
        return
    earliest = min(dues)
    if earliest == state.due_on:
        return
    moved = state.due_on is not None
    set_due(state, earliest, today)
    if moved:
        state.reminded = False
        state.missed_on = None
        state.levels_done = 0
        state.phase = f"due date now {earliest}"
    else:
        state.phase = f"waiting for the reply, due {earliest}"


def whole_obligation(state: ObligationState, event: Relayed, today: date) -> None:
    """Before PER_RECOMMENDATION_DUE: one due date for the whole obligation."""
    rec = event.recommendation_id
    if event.kind == Fact.SENT and event.due_on:
        if state.due_on is None or state.missed_on is None:
            set_due(state, event.due_on, today)
        state.phase = f"waiting for the reply, due {state.due_on}"
    elif event.kind == Fact.JOINED and rec:
        if rec not in state.pending and rec not in state.resolved:
            state.pending.append(rec)
        if state.due_on is None and event.due_on:
            set_due(state, event.due_on, today)
            state.phase = f"waiting for the reply, due {state.due_on}"
    elif event.kind in (Fact.ANSWERED, Fact.RELEASED) and rec:
        if rec in state.pending:
            state.pending.remove(rec)
        if rec not in state.resolved:
            state.resolved.append(rec)
    elif event.kind == Fact.EXTENDED and event.due_on and rec in state.pending:
        if state.due_on is None or event.due_on > state.due_on:
            # The authority was given more time: the reminder, the missed deadline
            # and the ladder all start again from the new date.
            set_due(state, event.due_on, today)
            state.reminded = False
            state.missed_on = None
            state.levels_done = 0
            state.phase = f"deadline extended to {state.due_on}"
    elif event.kind in (Fact.TASK_COMPLETED, Fact.TASK_CANCELLED) and event.task_id:
        casework.note_task_done(state, event)
