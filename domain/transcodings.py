"""How domain values are written to the event store as JSON.

Registered with the application's transcoder. Dates are written as ISO strings, and
EventMeta as a plain object, so stored events stay readable by any auditor's tool."""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding

from domain.values import EventMeta


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EventMetaAsDict(Transcoding):
    type = EventMeta
    name = "event_meta"

    def encode(self, obj: EventMeta) -> dict[str, Any]:
        return obj.as_dict()

    def decode(self, data: dict[str, Any]) -> EventMeta:
        return EventMeta.from_dict(data)


ALL_TRANSCODINGS: tuple[Transcoding, ...] = (DateAsISO(), EventMetaAsDict())
