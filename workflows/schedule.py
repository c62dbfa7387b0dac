"""When the next deadline step falls, as a pure function of dates: the workflows ask it
what to do next and sleep until then. Kept free of Temporal so the rules can be read
and unit-tested on their own, and so that a back-dated obligation and a live one take
exactly the same path.

Days are calendar dates; a step "on" a date happens at 00:00 UTC that day. A reply is
missed on the day after it was due. Ladder level 1 is raised on the day the deadline is
missed, and each level waits its own `wait_days` before the next.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from workflows.messages import Level


@dataclass(frozen=True)
class Step:
    kind: str  # reminder | missed | escalation
    on: date
    level: int = 0  # 1-based ladder level, for escalations


def level_start(missed_on: date, ladder: list[Level], level: int) -> date:
    """The day ladder level `level` (1-based) is due."""
    return missed_on + timedelta(days=sum(rung.wait_days for rung in ladder[: level - 1]))


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
    ladder is exhausted. A step whose day has passed is due now; after a long gap only the
    level the dates call for is raised. A reminder is sent only if its day came after the
    due date became known (`known_since`): not for a short urgent period, not for an
    obligation imported after the fact."""
    if missed_on is None:
        reminder_on = due_on - timedelta(days=reminder_days)
        if reminder_days > 0 and not reminded and known_since < reminder_on <= due_on:
            return Step("reminder", reminder_on)
        return Step("missed", due_on + timedelta(days=1))
    if levels_done >= len(ladder):
        return None
    level = levels_done + 1
    # Jump to the highest level whose day has already come (a back-dated import).
    while level < len(ladder) and level_start(missed_on, ladder, level + 1) <= today:
        level += 1
    return Step("escalation", level_start(missed_on, ladder, level), level)


def ladder_end(missed_on: date, ladder: list[Level]) -> date:
    """The day the last level's wait runs out."""
    return missed_on + timedelta(days=sum(rung.wait_days for rung in ladder))
