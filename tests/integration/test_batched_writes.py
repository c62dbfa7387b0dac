"""A batch larger than the socket buffers, sent while its transaction waits for the
events table's lock (held by another writer), still commits: the stall a full-scale
`make bench-stats` met twice (issues #12, #13, #16), made near certain instead of rare.

The store's insert is pipelined: the lock, the NOTIFY, the insert and the command-log
rows go out together, then a Sync. While the server waits for the lock it reads
nothing, so the kernel's buffers fill and part of the batch stays in libpq's output
buffer; the store must send all of it before it waits for the results, or the server
waits for the rest of the batch and the client for results that never come.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent

from services.adapters.database import eventsourcing_env
from services.adapters.event_store import RectrackRecorder
from services.adapters.settings import Settings
from services.application.store import Rectrack

# Well over what the kernel's buffers take while the server reads nothing, plus what
# the client's few flushes after the lock is released can push (each at most a send
# buffer, 4 MB by default on Linux): 96 events of 1 MB each. The state is stored as
# given, so it need not be a real event; one repeated byte, which the server stores
# compressed, so the disk sees little of it (the wire sees all of it).
EVENTS = 96
STATE_BYTES = 1_000_000
# Generous: the write takes seconds on a loaded 2-core machine; a stall is forever.
DEADLINE_SECONDS = 120


def big_events() -> list[StoredEvent]:
    state = b"x" * STATE_BYTES
    return [
        StoredEvent(uuid.uuid4(), 1, "tests.integration.test_batched_writes:Big", state)
        for _ in range(EVENTS)
    ]


def command_rows(events: Sequence[StoredEvent]) -> list[tuple[str, uuid.UUID, int, str]]:
    return [(f"row-{n}", uuid.UUID(str(e.originator_id)), 1, "d") for n, e in enumerate(events)]


@pytest.mark.parametrize("with_rows", [False, True], ids=["command id", "command rows"])
def test_a_batch_larger_than_the_socket_buffers_commits_after_waiting_for_the_lock(
    settings: Settings, database_url: str, schema: str, with_rows: bool
) -> None:
    """With a command id only (the benchmark's batches), the few flushes after the lock
    is released leave bytes unsent; the import's command rows add a flush per row,
    which used to hide the fault."""
    app = Rectrack(env=eventsourcing_env(settings, database_url))
    recorder = app.recorder
    assert isinstance(recorder, RectrackRecorder)
    recorder.insert_events(big_events()[:1])  # makes the tables the lock is taken on
    events = big_events()
    first = uuid.UUID(str(events[0].originator_id))
    written: list[object] = []

    def write() -> None:
        written.append(
            recorder.insert_events(
                events,
                command_id="batch",
                command_aggregate=(first, 1),
                command_rows=command_rows(events) if with_rows else (),
            )
        )

    writer = threading.Thread(target=write, daemon=True)
    try:
        with psycopg.connect(database_url) as holder:
            holder.execute(f'LOCK TABLE "{schema}".rectrack_events IN EXCLUSIVE MODE')
            writer.start()
            time.sleep(3)  # the writer sends its batch while the server waits for the lock
        writer.join(DEADLINE_SECONDS)
        assert not writer.is_alive(), "the batched write stalled in pipeline mode"
    finally:
        # Free a stuck writer (its retry of a dropped connection may stall again), or
        # dropping the schema waits for its lock too.
        with psycopg.connect(database_url, autocommit=True) as conn:
            for _ in range(60):
                if not writer.is_alive():
                    break
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE pid <> pg_backend_pid() AND query LIKE %s",
                    (f'%"{schema}"%',),
                )
                writer.join(1)
        app.close()
    assert len(written) == 1 and len(written[0]) == EVENTS  # type: ignore[arg-type]
    with psycopg.connect(database_url) as conn:
        counts = conn.execute(
            f'SELECT (SELECT count(*) FROM "{schema}".rectrack_events), '
            f'(SELECT count(*) FROM "{schema}".rectrack_events_commands)'
        ).fetchone()
    assert counts == (1 + EVENTS, 1 + (EVENTS if with_rows else 0))
