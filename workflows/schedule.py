"""When the next deadline step falls, as a pure function of dates: the workflows ask it
what to do next and sleep until then. Kept free of Temporal so the rules can be read
and unit-tested on their own, and so that a back-dated obligation and a live one take
exactly the same path.

Days are calendar dates; a step "on" a date happens at 00:00 UTC that day. A reply is
missed on the day after it was due; an implementation is overdue VERIFY_DAYS after the
agreed date. Ladder level 1 is raised on the day the deadline is missed (or the
implementation overdue), and each level waits its own `wait_days` before the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from domain.ladder import level_start as ladder_level_start
from domain.ladder import level_to_raise
from workflows.messages import Level

VERIFY_DAYS = 30


class StepKind(StrEnum):
    REMINDER = "reminder"
    MISSED = "missed"
    ESCALATION = "escalation"
    VERIFY = "verify"  # open the task to verify an agreed implementation
    OVERDUE = "overdue"  # the implementation was not verified in time


@dataclass(frozen=True)
class Step:
    kind: StepKind
    on: date
    level: int = 0  # 1-based ladder level, for escalations


def level_start(missed_on: date, ladder: list[Level], level: int) -> date:
    """The day ladder level `level` (1-based) is due."""
    return ladder_level_start(missed_on, [rung.wait_days for rung in ladder], level)


def ladder_end(missed_on: date, ladder: list[Level]) -> date:
    """The day the last level's wait runs out."""
    return missed_on + timedelta(days=sum(rung.wait_days for rung in ladder))


def next_escalation(
    *, missed_on: date, today: date, ladder: list[Level], levels_done: int
) -> Step | None:
    """The next ladder level after `levels_done` (domain/ladder.py), or None when the
    ladder is exhausted."""
    level = level_to_raise(missed_on, today, [rung.wait_days for rung in ladder], levels_done)
    if not level:
        return None
    return Step(StepKind.ESCALATION, level_start(missed_on, ladder, level), level)


def next_reply_step(
    *,
    due_on: date,
    today: date,
    known_since: date,
    reminder_days: int,
    reminded: bool,
    missed_on: date | None,
    ladder: list[Level],
    levels_done: int,
) -> Step | None:
    """The next step of a reply obligation still waiting for replies, or None when the
    ladder is exhausted. A step whose day has passed is due now. A reminder is sent only
    if its day came after the due date became known (`known_since`): not for a short
    urgent period, not for an obligation imported after the fact."""
    if missed_on is None:
        reminder_on = due_on - timedelta(days=reminder_days)
        if reminder_days > 0 and not reminded and known_since < reminder_on <= due_on:
            return Step(StepKind.REMINDER, reminder_on)
        return Step(StepKind.MISSED, due_on + timedelta(days=1))
    return next_escalation(missed_on=missed_on, today=today, ladder=ladder, levels_done=levels_done)


def overdue_on(agreed_on: date) -> date:
    """The day an implementation agreed for `agreed_on` and not yet verified is overdue."""
    return agreed_on + timedelta(days=VERIFY_DAYS)


def next_implementation_step(
    *,
    agreed_on: date,
    today: date,
    verify_opened: bool,
    overdue: bool,
    ladder: list[Level],
    levels_done: int,
) -> Step | None:
    """The next step of an implementation follow-up not yet implemented and verified, or
    None when the ladder is exhausted: the verify task on the agreed date, the overdue
    record VERIFY_DAYS later, then the ladder from that day. A step whose day has passed
    is due now."""
    if not verify_opened:
        return Step(StepKind.VERIFY, agreed_on)
    if not overdue:
        return Step(StepKind.OVERDUE, overdue_on(agreed_on))
    return next_escalation(
        missed_on=overdue_on(agreed_on), today=today, ladder=ladder, levels_done=levels_done
    )
