"""Deadline arithmetic on real calendars (the `holidays` package), no database."""

from datetime import date

import pytest

from domain.deadlines import WorkingCalendar, reply_due
from domain.errors import InvalidInput
from domain.values import DayKind


def test_thirty_calendar_days_landing_on_a_weekday() -> None:
    # 5 Jan 2026 (Mon) + 30 days = 4 Feb 2026 (Wed)
    assert reply_due(date(2026, 1, 5), 30, DayKind.CALENDAR, WorkingCalendar("DE")) == date(
        2026, 2, 4
    )


def test_calendar_period_ending_on_a_saturday_runs_to_monday() -> None:
    # 1 Jan 2026 + 30 days = Sat 31 Jan 2026 -> Mon 2 Feb 2026
    assert reply_due(date(2026, 1, 1), 30, DayKind.CALENDAR, WorkingCalendar("DE")) == date(
        2026, 2, 2
    )


def test_calendar_period_ending_on_good_friday_runs_past_easter_monday() -> None:
    # 4 Mar 2026 + 30 = Fri 3 Apr 2026 (Good Friday, DE); Sat, Sun, Easter Monday 6 Apr
    # are closed too, so the authority has until Tue 7 Apr.
    assert reply_due(date(2026, 3, 4), 30, DayKind.CALENDAR, WorkingCalendar("DE")) == date(
        2026, 4, 7
    )


def test_working_days_skip_easter() -> None:
    # From Wed 25 Mar 2026, 10 working days in DE: 26, 27, 30, 31 Mar, 1, 2 Apr,
    # (3 Apr Good Friday, 6 Apr Easter Monday skipped), 7, 8, 9, 10 Apr.
    assert reply_due(date(2026, 3, 25), 10, DayKind.WORKING, WorkingCalendar("DE")) == date(
        2026, 4, 10
    )


def test_working_days_across_the_year_end() -> None:
    # From Mon 21 Dec 2026, 5 working days in DE: 22, 23, 24 Dec, (25, 26 Dec holidays,
    # weekend 26-27), 28, 29 Dec.
    assert reply_due(date(2026, 12, 21), 5, DayKind.WORKING, WorkingCalendar("DE")) == date(
        2026, 12, 29
    )
    # ... and 8 working days reach past New Year's Day (Fri 1 Jan 2027): 30, 31 Dec, 4 Jan.
    assert reply_due(date(2026, 12, 21), 8, DayKind.WORKING, WorkingCalendar("DE")) == date(
        2027, 1, 4
    )


def test_jurisdictions_differ() -> None:
    # 6 Jan (Epiphany) is a public holiday in Poland, not in France.
    start = date(2026, 1, 5)
    assert reply_due(start, 1, DayKind.WORKING, WorkingCalendar("PL")) == date(2026, 1, 7)
    assert reply_due(start, 1, DayKind.WORKING, WorkingCalendar("FR")) == date(2026, 1, 6)


def test_recorded_closure_days_are_skipped() -> None:
    closed = WorkingCalendar("FR", closure_days=[date(2026, 1, 6), date(2026, 1, 7)])
    assert reply_due(date(2026, 1, 5), 1, DayKind.WORKING, closed) == date(2026, 1, 8)
    assert reply_due(date(2026, 1, 5), 1, DayKind.CALENDAR, closed) == date(2026, 1, 8)


def test_period_must_be_positive() -> None:
    with pytest.raises(InvalidInput) as error:
        reply_due(date(2026, 1, 5), 0, DayKind.CALENDAR, WorkingCalendar("DE"))
    assert error.value.field == "period_days"


def test_unknown_jurisdiction_is_named() -> None:
    with pytest.raises(InvalidInput) as error:
        WorkingCalendar("XX").is_working_day(date(2026, 1, 5))
    assert error.value.field == "jurisdiction"
    assert "XX" in str(error.value)
