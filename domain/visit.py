"""Visits to places: the source of most recommendations, and one way to follow them up."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import Aggregate, event

from domain.values import EventMeta


class Visit(Aggregate):
    @event("Recorded")
    def __init__(
        self,
        meta: EventMeta,
        place_id: str,
        start_date: date,
        end_date: date,
        kind: str,
        team: list[str],
    ) -> None:
        self.place_id = place_id
        self.start_date = start_date
        self.end_date = end_date
        self.kind = kind
        self.team = list(team)
