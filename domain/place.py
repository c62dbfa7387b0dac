"""Places of deprivation of liberty that the NPM visits."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from domain.values import EventMeta


class Place(Aggregate):
    @event("Registered")
    def __init__(
        self,
        meta: EventMeta,
        name: str,
        place_type: str,
        region: str | None,
        authority_id: str,
    ) -> None:
        self.name = name
        self.place_type = place_type
        self.region = region
        self.authority_id = authority_id

    @event("ResponsibleAuthorityChanged")
    def change_responsible_authority(self, meta: EventMeta, authority_id: str) -> None:
        self.authority_id = authority_id
