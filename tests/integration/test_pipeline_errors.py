"""A failed or interrupted insert transaction raises its own error and leaves a pooled
connection that writes again (services/adapters/pipeline_sync.py).

The store's insert is pipelined. psycopg 3.3.9 raises at the first failed result it has
read and leaves the rest unread; a block that swallowed the error then committed (psycopg
kept a prepared-statement cache that an aborted Parse had made wrong), and an exception
from outside psycopg between reading a result and matching it (Temporal cancels a thread's
activity by raising in it) made the next reader match a Sync to a statement:
`InternalError: unexpected result status from query: PIPELINE_SYNC`, seen in the
escalation burst's worker logs.

Each test runs on a pool of one connection, so every write after a failure is on the
connection the failure left behind (or on the one that replaced it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import psycopg._pipeline_base as pipeline_base
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from services.adapters.database import eventsourcing_env
from services.adapters.event_store import USER_TOPIC, RectrackRecorder
from services.adapters.settings import Settings
from services.application.store import Rectrack

TOPIC = "tests.integration.test_pipeline_errors:Happened"


@pytest.fixture
def recorder(app: Rectrack, settings: Settings, database_url: str) -> Iterator[RectrackRecorder]:
    """The store's recorder on a pool of one connection (the tables made by `app`)."""
    env = eventsourcing_env(settings, database_url)
    env.update({"POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "0", "CREATE_TABLE": "n"})
    single = Rectrack(env=env)
    assert isinstance(single.recorder, RectrackRecorder)
    yield single.recorder
    single.close()


def write(
    recorder: RectrackRecorder, aggregate: uuid.UUID, version: int = 1, topic: str = TOPIC
) -> list[int]:
    ids = recorder.insert_events(
        [StoredEvent(aggregate, version, topic, b"{}")],
        command_id=f"cmd-{uuid.uuid4()}",
        command_aggregate=(aggregate, version),
    )
    assert ids is not None
    return list(ids)


def backend_pid(recorder: RectrackRecorder) -> int:
    with recorder.datastore.get_connection() as conn:
        return conn.info.backend_pid


def stored(database_url: str, schema: str, aggregate: uuid.UUID) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            f'SELECT count(*) FROM "{schema}".rectrack_events WHERE originator_id = %s',
            (aggregate,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_lock_timeout_is_raised_as_such_and_the_connection_writes_again(
    recorder: RectrackRecorder, database_url: str, schema: str
) -> None:
    """Five writes first: psycopg prepares a statement at its sixth use, and the NOTIFY's
    Parse then goes in the pipeline that the lock timeout aborts. Before the fix the
    next write on the connection failed ("prepared statement ... does not exist", or a
    PipelineAborted taken for a conflict)."""
    for _ in range(5):
        write(recorder, uuid.uuid4())
    pid = backend_pid(recorder)
    for _ in range(2):
        blocked = uuid.uuid4()
        with psycopg.connect(database_url) as holder:
            holder.execute(f'LOCK TABLE "{schema}".rectrack_events IN EXCLUSIVE MODE')
            with pytest.raises(OperationalError) as raised:
                write(recorder, blocked)
        assert isinstance(raised.value.__cause__, psycopg.errors.LockNotAvailable)
        assert stored(database_url, schema, blocked) == 0
        after = uuid.uuid4()
        assert len(write(recorder, after)) == 1
        assert stored(database_url, schema, after) == 1
    # A statement's error leaves the connection clean: kept, not replaced.
    assert backend_pid(recorder) == pid


@pytest.mark.parametrize("topic", [TOPIC, USER_TOPIC + "Registered"], ids=["event", "user"])
def test_a_lost_race_is_an_integrity_error_from_the_unique_violation(
    recorder: RectrackRecorder, database_url: str, schema: str, topic: str
) -> None:
    """A user's event adds a NOTIFY after the insert, aborted by its failure: the error
    raised is still the insert's own."""
    aggregate = uuid.uuid4()
    write(recorder, aggregate, topic=topic)
    pid = backend_pid(recorder)
    for _ in range(7):
        with pytest.raises(IntegrityError) as raised:
            write(recorder, aggregate, topic=topic)
        assert isinstance(raised.value.__cause__, psycopg.errors.UniqueViolation)
        assert len(write(recorder, uuid.uuid4(), topic=topic)) == 1
    assert stored(database_url, schema, aggregate) == 1
    assert backend_pid(recorder) == pid


class Interrupted(Exception):
    """What Temporal raises in an activity's thread to cancel it."""


def interrupt_after_reading(monkeypatch: pytest.MonkeyPatch, command_status: bytes) -> None:
    """Raise `Interrupted` as soon as psycopg's readers (`pipeline_communicate`, which
    sends and reads, or `fetch_many`) return the result of the statement with this
    command status, before psycopg matches it to its statement."""
    left = [1]

    def interrupting(reader: Any) -> Any:
        def read(*args: Any) -> Any:
            results = yield from reader(*args)
            sets = results if reader is pipeline_communicate else [results]
            if left[0] and any(r.command_status == command_status for rs in sets for r in rs):
                left[0] = 0
                raise Interrupted
            return results

        return read

    pipeline_communicate = pipeline_base.pipeline_communicate
    monkeypatch.setattr(pipeline_base, "pipeline_communicate", interrupting(pipeline_communicate))
    monkeypatch.setattr(pipeline_base, "fetch_many", interrupting(pipeline_base.fetch_many))


@pytest.mark.parametrize("statement", [b"LOCK TABLE", b"INSERT 0 1"], ids=["lock", "insert"])
def test_an_interruption_between_reading_a_result_and_matching_it_is_raised_as_itself(
    recorder: RectrackRecorder,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    statement: bytes,
) -> None:
    """The exception arrives just after psycopg read a statement's result and before it
    matched it to the statement (the window an exception raised in a thread can hit),
    before the commit. Before the fix the block swallowed it into a commit, and
    psycopg's pipeline exit matched the next results one statement off: the caller got
    `InternalError: ... PIPELINE_SYNC`, or nothing."""
    write(recorder, uuid.uuid4())
    interrupt_after_reading(monkeypatch, statement)
    interrupted = uuid.uuid4()
    with pytest.raises(Interrupted):
        write(recorder, interrupted)
    monkeypatch.undo()
    assert stored(database_url, schema, interrupted) == 0
    for _ in range(3):
        after = uuid.uuid4()
        assert len(write(recorder, after)) == 1
        assert stored(database_url, schema, after) == 1
