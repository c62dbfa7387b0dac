"""The PostgreSQL event store: the library's application recorder plus two things written
in the same transaction as every batch of events.

- a hash chain: each event's SHA-256 over its stored form (topic and state bytes, so it
  holds with encryption on) and the hash of the aggregate's previous event; altering,
  deleting, inserting or swapping stored rows breaks the chain (`rectrack audit verify`);
- the command log: the command id that appended the events, so a retried command finds
  its first result instead of appending again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from functools import wraps
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg import Cursor
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier, Literal
from psycopg_pool import PoolTimeout

from services.adapters.table_creation import SerialisedTableCreation

GENESIS = bytes(32)


# A timeout is an answer, not a glitch: the caller asked not to wait longer than this.
_NOT_RETRIED = (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled, PoolTimeout)


def _give_up_on_timeouts(library_method: Any, attempts: int = 3) -> Any:
    """The library retries every operational error ten times, which turns a 1-second lock
    timeout into a 12-second wait for the caseworker. Here a timeout or a failed
    statement is raised at once; a dropped connection is still retried, a few times."""
    func = library_method.__wrapped__

    @wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if isinstance(error.__cause__, psycopg.errors.PipelineAborted):
                    # A statement of the transaction failed; in pipeline mode a unique
                    # violation (a repeated command id) can surface only as this. The
                    # application treats it like any integrity error.
                    raise IntegrityError(str(error)) from error.__cause__
                if isinstance(error.__cause__, _NOT_RETRIED) or attempt == attempts:
                    raise
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    return call


def chain_hash(
    prev_hash: bytes, originator_id: UUID, version: int, topic: str, state: bytes
) -> bytes:
    digest = hashlib.sha256()
    digest.update(prev_hash)
    digest.update(originator_id.bytes)
    digest.update(version.to_bytes(8, "big", signed=True))
    digest.update(topic.encode("utf-8"))
    digest.update(b"\x00")
    digest.update(state)
    return digest.digest()


def _in_chain_order(stored_events: Sequence[StoredEvent]) -> Sequence[StoredEvent]:
    """Events grouped by aggregate in version order, as the chain function walks them.
    Saved aggregates already come that way; sorting is only the fallback."""
    seen: set[UUID] = set()
    previous: StoredEvent | None = None
    for stored in stored_events:
        oid = stored.originator_id
        assert isinstance(oid, UUID)
        if previous is not None and previous.originator_id == oid:
            if stored.originator_version != previous.originator_version + 1:
                break
        elif oid in seen:
            break
        seen.add(oid)
        previous = stored
    else:
        return stored_events
    return sorted(stored_events, key=lambda e: (str(e.originator_id), e.originator_version))


def _starts_new_aggregate(events: Sequence[StoredEvent], i: int) -> bool:
    """Whether event i is version 1 or follows its own predecessor in this same batch."""
    version = events[i].originator_version
    return version == 1 or (
        i > 0
        and events[i - 1].originator_id == events[i].originator_id
        and events[i - 1].originator_version == version - 1
    )


def _chain_rows(
    events: Sequence[StoredEvent],
) -> tuple[list[UUID], list[int], list[bytes], list[bytes]]:
    oids: list[UUID] = []
    versions: list[int] = []
    prevs: list[bytes] = []
    hashes: list[bytes] = []
    prev = GENESIS
    for stored in events:
        oid = stored.originator_id
        assert isinstance(oid, UUID)
        if stored.originator_version == 1:
            prev = GENESIS
        digest = chain_hash(prev, oid, stored.originator_version, stored.topic, stored.state)
        oids.append(oid)
        versions.append(stored.originator_version)
        prevs.append(prev)
        hashes.append(digest)
        prev = digest
    return oids, versions, prevs, hashes


class RectrackRecorder(SerialisedTableCreation, PostgresApplicationRecorder):
    insert_events = _give_up_on_timeouts(PostgresApplicationRecorder.insert_events)
    select_events = _give_up_on_timeouts(PostgresApplicationRecorder.select_events)

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        self.hashes_table_name = f"{events_table_name}_chain"
        self.commands_table_name = f"{events_table_name}_commands"
        hashes = Identifier(self.hashes_table_name)
        commands = Identifier(self.commands_table_name)
        self.sql_create_statements.extend(
            [
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                    "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                    "prev_hash bytea NOT NULL, hash bytea NOT NULL, "
                    "PRIMARY KEY (originator_id, originator_version))"
                ).format(schema, hashes),
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0}.{1} ("
                    "command_id text PRIMARY KEY, originator_id uuid NOT NULL, "
                    "originator_version bigint NOT NULL, "
                    "recorded_at timestamptz NOT NULL DEFAULT now())"
                ).format(schema, commands),
                # The digest of the command (its type, target and body), so that a key
                # reused for another request is told apart from a retry. Added to tables
                # made before it; rows written before it have none.
                SQL("ALTER TABLE {0}.{1} ADD COLUMN IF NOT EXISTS command_digest text").format(
                    schema, commands
                ),
            ]
        )
        # The chain is extended server-side so that it costs no extra round trip: the call
        # is pipelined with the insert of the events. Its hash is byte-for-byte the one
        # chain_hash() computes (uuid_send and int8send are big-endian, like Python's).
        self.chain_function_name = f"{events_table_name}_chain_append"
        chain_function = Identifier(self.chain_function_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {0}.{1}("
                "oids uuid[], versions bigint[], topics text[], states bytea[]) "
                "RETURNS void LANGUAGE plpgsql AS $BODY$ "
                "DECLARE i int; prev bytea; h bytea; last_oid uuid := NULL; "
                "prevs bytea[] := '{{}}'; hashes bytea[] := '{{}}'; "
                "BEGIN "
                "FOR i IN 1..coalesce(array_length(oids, 1), 0) LOOP "
                "  IF last_oid IS DISTINCT FROM oids[i] THEN "
                "    prev := NULL; "
                "    IF versions[i] > 1 THEN "
                "      SELECT c.hash INTO prev FROM {0}.{2} c "
                "      WHERE c.originator_id = oids[i] "
                "      AND c.originator_version = versions[i] - 1; "
                "    END IF; "
                "    prev := coalesce(prev, {3}); "
                "  END IF; "
                "  h := sha256(prev || uuid_send(oids[i]) || int8send(versions[i]) "
                "       || convert_to(topics[i], 'UTF8') || '\\x00'::bytea || states[i]); "
                "  prevs := prevs || prev; hashes := hashes || h; "
                "  prev := h; last_oid := oids[i]; "
                "END LOOP; "
                "INSERT INTO {0}.{2} (originator_id, originator_version, prev_hash, hash) "
                "SELECT * FROM unnest(oids, versions, prevs, hashes); "
                "END $BODY$"
            ).format(schema, chain_function, hashes, Literal(GENESIS))
        )
        self.call_chain_append = SQL("SELECT {0}.{1}(%b, %b, %b, %b)").format(
            schema, chain_function
        )
        self.insert_command = SQL(
            "INSERT INTO {0}.{1} (command_id, originator_id, originator_version, "
            "command_digest) VALUES (%s, %s, %s, %s)"
        ).format(schema, commands)
        self.insert_chain_rows = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, prev_hash, hash) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::bytea[], %b::bytea[])"
        ).format(schema, hashes)
        self.insert_event_arrays = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema, Identifier(self.events_table_name))
        self.select_command = SQL(
            "SELECT originator_id, originator_version, command_digest FROM {0}.{1} "
            "WHERE command_id = %s"
        ).format(schema, commands)
        self.select_commands = SQL(
            "SELECT command_id, originator_id, command_digest FROM {0}.{1} "
            "WHERE command_id = ANY(%s)"
        ).format(schema, commands)
        self.select_notification_id = SQL(
            "SELECT notification_id FROM {0}.{1} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, Identifier(self.events_table_name))

    def _insert_stored_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        # The library's lock (notification ids are committed in order) and NOTIFY, then
        # the insert from parallel arrays sent in binary: the library's array of composite
        # values is dumped as text, which costs a regular-expression pass per element and
        # dominated the batched import path.
        self._lock_table(curs)
        self._notify_channel(curs)
        events = _in_chain_order(stored_events)
        columns = (
            [e.originator_id for e in events],
            [e.originator_version for e in events],
            [e.topic for e in events],
            [e.state for e in events],
        )
        curs.execute(self.insert_event_arrays, columns, prepare=True, binary=True)
        # A cursor of our own: the library fetches the RETURNING notification ids from
        # `curs` after this method returns, so nothing else may execute on it now.
        with curs.connection.cursor() as own:
            if all(_starts_new_aggregate(events, i) for i in range(len(events))):
                # Only new aggregates (the import path): no earlier hash to look up, so the
                # chain is computed here and the payloads are not sent a second time.
                own.execute(self.insert_chain_rows, _chain_rows(events), prepare=True)
            else:
                own.execute(self.call_chain_append, columns, prepare=True)
            command_id: str | None = kwargs.get("command_id")
            if command_id is not None:
                aggregate_id, version = kwargs["command_aggregate"]
                digest: str | None = kwargs.get("command_digest")
                own.execute(
                    self.insert_command, (command_id, aggregate_id, version, digest), prepare=True
                )
            # The import's rows: one command-log entry per record (its identity and its
            # content), in the same transaction as the record's events.
            command_rows: Sequence[tuple[str, UUID, int, str | None]] = kwargs.get(
                "command_rows", ()
            )
            if command_rows:
                own.executemany(self.insert_command, command_rows)

    def find_command(self, command_id: str) -> tuple[UUID, int, str | None] | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_command, (command_id,), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return row["originator_id"], row["originator_version"], row["command_digest"]

    def find_commands(self, command_ids: Sequence[str]) -> dict[str, tuple[UUID, str | None]]:
        """Which of these command ids were applied, with the aggregate each left and its
        digest: one query for many (the import looks up a thousand rows at a time)."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_commands, (list(command_ids),), prepare=True)
            return {
                row["command_id"]: (row["originator_id"], row["command_digest"])
                for row in curs.fetchall()
            }

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_notification_id, (originator_id, version), prepare=True)
            row = curs.fetchone()
        return None if row is None else int(row["notification_id"])


class RectrackFactory(PostgresFactory):
    """The library's PostgreSQL factory, with every pooled connection (reads included, not
    only the library's insert transactions) bounded by a lock and a statement timeout, so
    that a table locked by someone else makes a command fail with an error instead of
    hanging a caseworker's request forever."""

    application_recorder_class = RectrackRecorder
    STATEMENT_TIMEOUT = "RECTRACK_STATEMENT_TIMEOUT"
    CONNINFO = "RECTRACK_DATABASE_CONNINFO"

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        lock_ms = int(self.datastore.lock_timeout * 1000) or 5000
        statement_ms = int(float(self.env.get(self.STATEMENT_TIMEOUT) or "60") * 1000)
        # libpq's `options` are applied at connection start; the pool passes its (public)
        # kwargs to every connect, so this reaches each connection it ever opens.
        connect_kwargs = self.datastore.pool.kwargs
        assert isinstance(connect_kwargs, dict)
        options = f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}"
        conninfo = self.env.get(self.CONNINFO)
        if conninfo:
            # Every libpq parameter of the configured URL (TLS, application_name, ...),
            # with the URL's own server options kept ahead of ours.
            params = {k: v for k, v in conninfo_to_dict(conninfo).items() if v is not None}
            given = params.pop("options", "")
            options = f"{given} {options}".strip()
            connect_kwargs.update(params)
        connect_kwargs["options"] = options
