"""Closure days the NPM records on top of weekends and public holidays (e.g. a national
day of mourning, an office closure decreed by the authority), per jurisdiction."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import EventMeta


class ClosureCalendar(Aggregate):
    """One per jurisdiction, with a deterministic id so it is found without an index."""

    @staticmethod
    def create_id(jurisdiction: str, **_: object) -> UUID:
        return uuid5(NAMESPACE_URL, f"rectrack:closure-calendar:{jurisdiction}")

    @event("Opened")
    def __init__(self, jurisdiction: str) -> None:
        self.jurisdiction = jurisdiction
        self.closure_days: dict[date, str] = {}

    def record_closure(self, meta: EventMeta, day: date, description: str) -> None:
        if day in self.closure_days:
            raise InvalidInput("day", "{day} is already recorded as a closure day", day=day)
        if not description.strip():
            raise InvalidInput("description", "must say why the offices are closed")
        self._record_closure(meta, day, description)

    @event("ClosureDayRecorded")
    def _record_closure(self, meta: EventMeta, day: date, description: str) -> None:
        self.closure_days[day] = description

    def remove_closure(self, meta: EventMeta, day: date) -> None:
        if day not in self.closure_days:
            raise InvalidInput("day", "{day} is not a recorded closure day", day=day)
        self._remove_closure(meta, day)

    @event("ClosureDayRemoved")
    def _remove_closure(self, meta: EventMeta, day: date) -> None:
        del self.closure_days[day]
