"""When each rung of an authority's escalation ladder falls due, as a pure function of
dates and the rungs' waits: the deadline workflows plan their steps with it
(workflows/schedule.py), and the one command that raises a level (RecordEscalationStep)
picks the level with it, so both always agree.

Level 1 is due the day the deadline was missed (or the implementation became overdue);
each level waits its own `wait_days` before the next. After a long gap (a back-dated
import) only the highest level whose day has come is raised, not every one before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta


def level_start(missed_on: date, waits: Sequence[int], level: int) -> date:
    """The day ladder level `level` (1-based) is due, given each rung's wait in days."""
    return missed_on + timedelta(days=sum(waits[: level - 1]))


def level_to_raise(missed_on: date, today: date, waits: Sequence[int], levels_done: int) -> int:
    """The next level to raise after `levels_done` (0 when the ladder is exhausted): the
    one after `levels_done`, or a higher one whose day has already come."""
    if levels_done >= len(waits):
        return 0
    level = levels_done + 1
    while level < len(waits) and level_start(missed_on, waits, level + 1) <= today:
        level += 1
    return level
