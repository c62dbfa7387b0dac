"""Recording reads of internal records (domain/access.py), and listing them for auditors.

Reads are not commands: nothing is decided, a retry is a second read, so they skip the
executor's command log and idempotency. `AccessRecorder.record` appends one event to the
reader's log of the day, keeping that log loaded in memory (a small LRU), so a read costs
one insert; when another process appended to the same log first, the log is loaded again
and the append retried. A read that cannot be recorded fails (the caller answers 503):
an unrecorded read of an internal record is what this exists to prevent.

Where an export happens, the export calls `record_access(...)` with kind EXPORT, its
filters as the query and no recommendation id.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from domain.access import AccessKind, AccessLog, access_log_id
from domain.values import EventMeta
from services.application.store import Rectrack

ATTEMPTS = 3


@dataclass(frozen=True)
class AccessRecord:
    reader_id: str
    reader_role: str
    #: the day of the read (by the recorder's clock), whose log holds it
    day: date
    recorded_at: datetime
    kind: str
    recommendation_id: str | None
    query: dict[str, str]
    request_id: str


class AccessRecorder:
    def __init__(
        self, store: Rectrack, *, clock: Callable[[], date] = date.today, capacity: int = 1_000
    ) -> None:
        self.store = store
        self.clock = clock
        self.capacity = capacity
        self._logs: OrderedDict[UUID, AccessLog] = OrderedDict()
        self._lock = threading.Lock()

    def record(
        self,
        *,
        reader_id: str,
        reader_role: str,
        kind: AccessKind,
        recommendation_id: UUID | None = None,
        query: dict[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        day = self.clock()
        meta = EventMeta(reader_id, reader_role, day, request_id or str(uuid.uuid4()))
        given = {name: value for name, value in (query or {}).items() if value not in ("", None)}
        log_id = access_log_id(reader_id, day)
        with self._lock:  # one append at a time per process keeps the held logs coherent
            for attempt in range(1, ATTEMPTS + 1):
                access_log = self._log(log_id, meta, reader_id, day, fresh=attempt > 1)
                access_log.record(meta, kind, recommendation_id, given)
                try:
                    self.store.save(access_log)
                except IntegrityError:
                    self._logs.pop(log_id, None)  # another process appended: load again
                    if attempt == ATTEMPTS:
                        raise
                    continue
                self._logs[log_id] = access_log
                self._logs.move_to_end(log_id)
                while len(self._logs) > self.capacity:
                    self._logs.popitem(last=False)
                return

    def _log(
        self, log_id: UUID, meta: EventMeta, reader_id: str, day: date, *, fresh: bool
    ) -> AccessLog:
        held = None if fresh else self._logs.get(log_id)
        if held is not None:
            return held
        found = self.store.find(AccessLog, log_id)
        return found if found is not None else AccessLog(meta=meta, reader_id=reader_id, day=day)


def record_access(
    recorder: AccessRecorder,
    *,
    reader_id: str,
    reader_role: str,
    kind: AccessKind,
    recommendation_id: UUID | None = None,
    query: dict[str, str] | None = None,
    request_id: str | None = None,
) -> None:
    """The one call an edge makes where an internal record is read (the export's hook)."""
    recorder.record(
        reader_id=reader_id,
        reader_role=reader_role,
        kind=kind,
        recommendation_id=recommendation_id,
        query=query,
        request_id=request_id,
    )


# --- reading them back -----------------------------------------------------------------------

# The library makes the event classes from the @event decorators, out of the type
# checker's sight (as projections/events.py says).
_Log: Any = AccessLog
RecordRead: type[DomainEvent] = _Log.RecordRead
READ_TOPIC = get_topic(RecordRead)
PAGE = 1_000


def _as_record(event: Any) -> AccessRecord:
    meta: EventMeta = event.meta
    return AccessRecord(
        reader_id=meta.actor_id,
        reader_role=meta.actor_role,
        day=meta.business_date,
        recorded_at=event.timestamp,
        kind=event.kind,
        recommendation_id=event.recommendation_id,
        query=dict(event.query),
        request_id=meta.command_id,
    )


def _reads_of(store: Rectrack, reader_id: str, since: date, until: date) -> Iterator[AccessRecord]:
    day = since
    while day <= until:
        for event in store.events.get(access_log_id(reader_id, day)):
            if isinstance(event, RecordRead):
                yield _as_record(event)
        day += timedelta(days=1)


def _all_reads(store: Rectrack) -> Iterator[AccessRecord]:
    start = 1
    while True:
        page = store.recorder.select_notifications(start, PAGE, topics=[READ_TOPIC])
        for notification in page:
            event = store.mapper.to_domain_event(notification)
            if isinstance(event, RecordRead):
                yield _as_record(event)
        if len(page) < PAGE:
            return
        start = page[-1].id + 1


def access_records(
    store: Rectrack,
    *,
    since: date,
    until: date,
    reader_id: str | None = None,
    recommendation_id: UUID | None = None,
    kind: AccessKind | None = None,
    limit: int = 1_000,
) -> list[AccessRecord]:
    """Reads recorded from `since` to `until` (days of the reads, inclusive), oldest first.
    With a reader, only that reader's daily logs are loaded; otherwise the log is scanned
    for reads."""
    found = _reads_of(store, reader_id, since, until) if reader_id else _all_reads(store)
    records: list[AccessRecord] = []
    for record in found:
        if not since <= record.day <= until:
            continue
        if recommendation_id is not None and record.recommendation_id != str(recommendation_id):
            continue
        if kind is not None and record.kind != kind.value:
            continue
        records.append(record)
        if len(records) >= limit:
            break
    return records
