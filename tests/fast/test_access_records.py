"""Reads of internal records are events in the reader's daily access log: recorded with
the query, listed back by reader, recommendation and kind; two processes appending to the
same log both land; a bad query value is refused and appends nothing."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.access import AccessKind, AccessLog, access_log_id
from domain.errors import InvalidInput
from services.application.access_records import AccessRecorder, access_records, record_access
from services.application.store import Rectrack
from tests.builders import DAY


def read(recorder: AccessRecorder, reader: str, kind: AccessKind, **query: str) -> None:
    record_access(recorder, reader_id=reader, reader_role="auditor", kind=kind, query=query)


def test_a_read_is_recorded_with_its_query(store: Rectrack) -> None:
    recorder = AccessRecorder(store, clock=lambda: DAY)
    recommendation = uuid4()
    record_access(
        recorder,
        reader_id="u-1",
        reader_role="auditor",
        kind=AccessKind.AS_OF,
        recommendation_id=recommendation,
        query={"as_of": "2025-06-30", "basis": "recorded", "q": ""},
        request_id="req-1",
    )
    [record] = access_records(store, since=DAY, until=DAY)
    assert (record.reader_id, record.reader_role, record.kind) == ("u-1", "auditor", "as_of")
    assert record.recommendation_id == str(recommendation)
    assert record.query == {"as_of": "2025-06-30", "basis": "recorded"}  # empty ones left out
    assert record.request_id == "req-1"


def test_one_log_per_reader_and_day_held_in_memory(store: Rectrack) -> None:
    recorder = AccessRecorder(store, clock=lambda: DAY)
    for _ in range(3):
        read(recorder, "u-1", AccessKind.HISTORY)
    read(recorder, "u-2", AccessKind.EXPORT, status="issued")
    log = store.get(AccessLog, access_log_id("u-1", DAY))
    assert (log.version, log.reads) == (4, 3)  # opened, then three reads
    assert [r.kind for r in access_records(store, since=DAY, until=DAY, reader_id="u-2")] == [
        "export"
    ]
    assert len(access_records(store, since=DAY, until=DAY, kind=AccessKind.HISTORY)) == 3
    assert access_records(store, since=DAY + timedelta(days=1), until=DAY + timedelta(days=2)) == []


def test_two_processes_appending_to_one_log_both_land(store: Rectrack) -> None:
    first = AccessRecorder(store, clock=lambda: DAY)
    second = AccessRecorder(store, clock=lambda: DAY)
    read(first, "u-1", AccessKind.HISTORY)
    read(second, "u-1", AccessKind.TIMELINE)  # loads the log the first one opened
    read(first, "u-1", AccessKind.AS_OF)  # its held log is stale: loaded again, retried
    kinds = [r.kind for r in access_records(store, since=DAY, until=DAY, reader_id="u-1")]
    assert kinds == ["history", "timeline", "as_of"]


def test_an_oversized_query_is_refused_and_appends_nothing(store: Rectrack) -> None:
    recorder = AccessRecorder(store, clock=lambda: DAY)
    with pytest.raises(InvalidInput) as refused:
        read(recorder, "u-1", AccessKind.EXPORT, q="x" * 501)
    assert refused.value.field == "query.q"
    assert access_records(store, since=DAY, until=DAY) == []
