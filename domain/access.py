"""Who read which internal record, and with which question: an access log kept as events,
so the same audit that covers the record (the hash chain, the signed checkpoints) covers
the reads of it, and nobody with the database can quietly drop a read.

One `AccessLog` per reader and day: a read appends one event to the reader's log of the
day, which the writing process keeps loaded, so recording a read costs one insert.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import EventMeta


class AccessKind(StrEnum):
    HISTORY = "history"  # a recommendation's full event history
    TIMELINE = "timeline"  # its audit timeline, field by field
    AS_OF = "as_of"  # a recommendation's, or every recommendation's, state on a past date
    EXPORT = "export"  # recommendations taken out as a file


#: the longest query value kept (a search string, a filter)
QUERY_VALUE_MAX = 500


def access_log_id(reader_id: str, day: date) -> UUID:
    return uuid5(NAMESPACE_URL, f"rectrack:access:{reader_id}:{day.isoformat()}")


class AccessLog(Aggregate):
    @staticmethod
    def create_id(meta: EventMeta, reader_id: str, day: date, **_: object) -> UUID:
        return access_log_id(reader_id, day)

    @event("Opened")
    def __init__(self, meta: EventMeta, reader_id: str, day: date) -> None:
        self.reader_id = reader_id
        self.day = day
        self.reads = 0

    def record(
        self,
        meta: EventMeta,
        kind: AccessKind,
        recommendation_id: UUID | None,
        query: dict[str, str],
    ) -> None:
        """One read of `kind` (of one recommendation, or of many: None), asked with
        `query` (as_of, basis, filters, search: the parameters as given)."""
        if meta.actor_id != self.reader_id:
            raise InvalidInput("actor_id", "a read is logged in its own reader's log")
        for name, value in query.items():
            if len(value) > QUERY_VALUE_MAX:
                raise InvalidInput(
                    f"query.{name}", "at most {count} characters", count=QUERY_VALUE_MAX
                )
        self._record(
            meta,
            AccessKind(kind).value,
            str(recommendation_id) if recommendation_id else None,
            dict(sorted(query.items())),
        )

    @event("RecordRead")
    def _record(
        self,
        meta: EventMeta,
        kind: str,
        recommendation_id: str | None,
        query: dict[str, str],
    ) -> None:
        self.reads += 1
