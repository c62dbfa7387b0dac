"""The deadline schedule as pure functions of dates: which step comes next and on which
day, for a reply obligation and for an implementation follow-up. No Temporal, no
database."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflows.messages import Level
from workflows.schedule import Step, StepKind, next_implementation_step, next_reply_step

D = date

LADDER = [Level("letter", "head of institution", 14), Level("letter", "ministry", 30)]


def test_the_schedule_jumps_to_the_level_the_dates_call_for() -> None:
    common: dict[str, Any] = {
        "due_on": D(2030, 2, 6),
        "reminder_days": 7,
        "reminded": False,
        "ladder": LADDER,
    }
    # Imported on 1 April: the reminder's day came before the due date was known.
    assert next_reply_step(
        today=D(2030, 4, 1), known_since=D(2030, 4, 1), missed_on=None, levels_done=0, **common
    ) == Step(StepKind.MISSED, D(2030, 2, 7))
    assert next_reply_step(
        today=D(2030, 4, 1),
        known_since=D(2030, 4, 1),
        missed_on=D(2030, 2, 7),
        levels_done=0,
        **common,
    ) == Step(StepKind.ESCALATION, D(2030, 2, 21), 2)
    # Known in time: the reminder comes first, seven days before the due date.
    assert next_reply_step(
        today=D(2030, 1, 7), known_since=D(2030, 1, 7), missed_on=None, levels_done=0, **common
    ) == Step(StepKind.REMINDER, D(2030, 1, 30))


AGREED = D(2030, 6, 1)


def implementation_step(today: date, **state: Any) -> Step | None:
    """The next step of a follow-up agreed for AGREED, in the state given (by default:
    nothing done yet)."""
    given: dict[str, Any] = {
        "verify_opened": False,
        "overdue": False,
        "ladder": LADDER,
        "levels_done": 0,
    }
    return next_implementation_step(agreed_on=AGREED, today=today, **(given | state))


def test_a_follow_up_opens_the_verify_task_on_the_agreed_date() -> None:
    # Before the date the step lies ahead (the workflow sleeps); on or after it, it is due.
    assert implementation_step(D(2030, 4, 10)) == Step(StepKind.VERIFY, AGREED)
    assert implementation_step(D(2030, 8, 1)) == Step(StepKind.VERIFY, AGREED)


def test_an_unverified_implementation_is_overdue_thirty_days_after_the_agreed_date() -> None:
    assert implementation_step(D(2030, 6, 1), verify_opened=True) == Step(
        StepKind.OVERDUE, D(2030, 7, 1)
    )


def test_an_overdue_implementation_climbs_the_ladder_from_the_overdue_day() -> None:
    overdue = {"verify_opened": True, "overdue": True}
    assert implementation_step(D(2030, 7, 1), **overdue) == Step(
        StepKind.ESCALATION, D(2030, 7, 1), 1
    )
    assert implementation_step(D(2030, 7, 1), levels_done=1, **overdue) == Step(
        StepKind.ESCALATION, D(2030, 7, 15), 2
    )
    # The last level raised, nothing is left to escalate.
    assert implementation_step(D(2030, 9, 1), levels_done=2, **overdue) is None


def test_a_follow_up_found_late_raises_only_the_level_its_dates_call_for() -> None:
    overdue = {"verify_opened": True, "overdue": True}
    assert implementation_step(D(2030, 7, 14), **overdue) == Step(
        StepKind.ESCALATION, D(2030, 7, 1), 1
    )
    assert implementation_step(D(2030, 12, 1), **overdue) == Step(
        StepKind.ESCALATION, D(2030, 7, 15), 2
    )


def test_a_follow_up_on_an_empty_ladder_ends_once_overdue() -> None:
    assert implementation_step(D(2030, 7, 1), verify_opened=True, overdue=True, ladder=[]) is None
