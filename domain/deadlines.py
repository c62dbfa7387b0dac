"""Statutory deadline arithmetic.

reply due = start date + the period in force on that date, counted in calendar days or in
working days. Working days skip weekends, the jurisdiction's public holidays (the
`holidays` package) and the closure days the NPM records. A calendar-day period whose
last day falls on a closed day runs to the next working day, the usual rule for legal
time limits (e.g. EU Regulation 1182/71, art. 3(4)); the authority is never asked to
reply on a day its offices are shut.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays as holidays_lib

from domain.errors import InvalidInput
from domain.values import DayKind

SATURDAY = 5


@lru_cache(maxsize=64)
def _public_holidays(jurisdiction: str, year: int) -> frozenset[date]:
    try:
        calendar = holidays_lib.country_holidays(jurisdiction, years=year)
    except NotImplementedError as exc:
        raise InvalidInput(
            "jurisdiction",
            "no public-holiday calendar is known for {value}",
            value=repr(jurisdiction),
        ) from exc
    return frozenset(calendar.keys())


def is_known_jurisdiction(jurisdiction: str) -> bool:
    try:
        _public_holidays(jurisdiction, 2000)
    except InvalidInput:
        return False
    return True


class WorkingCalendar:
    """Which days an authority's offices are open in one jurisdiction."""

    def __init__(self, jurisdiction: str, closure_days: Iterable[date] = ()) -> None:
        self.jurisdiction = jurisdiction
        self.closure_days = frozenset(closure_days)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= SATURDAY:
            return False
        if day in self.closure_days:
            return False
        return day not in _public_holidays(self.jurisdiction, day.year)

    def next_working_day(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, start: date, days: int) -> date:
        """The day on which `days` working days after `start` have elapsed; the start
        day itself does not count, as with any time limit running from an event."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day


def reply_due(start: date, period_days: int, day_kind: DayKind, calendar: WorkingCalendar) -> date:
    if period_days <= 0:
        raise InvalidInput("period_days", "must be a positive number of days")
    if day_kind == DayKind.WORKING:
        return calendar.add_working_days(start, period_days)
    return calendar.next_working_day(start + timedelta(days=period_days))
