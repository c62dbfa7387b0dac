"""The PostgreSQL event store: the library's application recorder plus the command log,
written in the same transaction as every batch of events: the command id that appended
them, so a retried command finds its first result instead of appending again.

Tamper evidence is not kept here. The signed Merkle tree over the whole log
(services/adapters/transparency.py, RFC 9162) replaced the per-aggregate hash chain this
recorder used to write: the chain could be recomputed by anyone able to write the
events, covered no order across aggregates, and cost every write a lookup and an insert;
the tree's signed heads, kept outside the database, catch all of that.

In the same transaction too, a NOTIFY on the channel `rectrack_users` for each user whose
events are appended, so that every API process forgets what it cached about that user
when (and only when) the change commits (user_changes.py).

The transaction is pipelined as the library does it, but in `pipelined_transaction` and
synced with `sync_pipeline` (pipeline_sync.py) instead of psycopg's `Pipeline.sync`, which
could leave part of a large batch unsent and wait for results forever (issues #12, #13,
#16), and after an error left results unread for the next reader to mismatch.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import wraps
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType, get_topic
from psycopg import Cursor
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier
from psycopg_pool import PoolTimeout

from domain.user import User
from services.adapters import pool_check
from services.adapters.pipeline_sync import pipelined_transaction, sync_pipeline
from services.adapters.table_creation import SerialisedTableCreation

USER_CHANGES_CHANNEL = "rectrack_users"
#: the topics of every event of a user start with this
USER_TOPIC = get_topic(User) + "."


def user_change_notice(schema: str, user_id: UUID | str) -> str:
    """The payload of a user change: the schema too, as deployments may share a database."""
    return f"{schema}:{user_id}"


# A timeout is an answer, not a glitch: the caller asked not to wait longer than this.
_NOT_RETRIED = (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled, PoolTimeout)


def _give_up_on_timeouts(library_method: Any, attempts: int = 3) -> Any:
    """The library retries every operational error ten times, which turns a 1-second lock
    timeout into a 12-second wait for the caseworker. Here a timeout or a failed
    statement is raised at once; a dropped connection is still retried, a few times.
    Takes a library method (its retrying wrapper is dropped) or one of ours."""
    func = getattr(library_method, "__wrapped__", library_method)

    @wraps(func)
    def call(*args: Any, **kwargs: Any) -> Any:
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except (InterfaceError, OperationalError) as error:
                if isinstance(error.__cause__, _NOT_RETRIED) or attempt == attempts:
                    raise
                time.sleep(0.2 * attempt)
        raise AssertionError("unreachable")

    return call


class RectrackRecorder(SerialisedTableCreation, PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)
        # Every command's statements as bytes, composed once: the library composes its
        # statements (and escapes their identifiers) on every execution. The lock alone:
        # the pool's connections start with the same lock_timeout (RectrackFactory), so
        # the library's `SET LOCAL lock_timeout` before it would be one statement more.
        self.lock_table_statement = (
            SQL("LOCK TABLE {0}.{1} IN EXCLUSIVE MODE")
            .format(schema, Identifier(self.events_table_name))
            .as_bytes(None)
        )
        self.notify_statement = (
            SQL("NOTIFY {0}").format(Identifier(self.channel_name)).as_bytes(None)
        )
        self._select_statements: dict[tuple[bool, bool, bool, bool], bytes] = {}
        self.commands_table_name = f"{events_table_name}_commands"
        commands = Identifier(self.commands_table_name)
        self.sql_create_statements.extend(
            [
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
        self.insert_command = SQL(
            "INSERT INTO {0}.{1} (command_id, originator_id, originator_version, "
            "command_digest) VALUES (%s, %s, %s, %s)"
        ).format(schema, commands)
        self.insert_event_arrays = SQL(
            "INSERT INTO {0}.{1} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema, Identifier(self.events_table_name))
        # A single command's log row goes in with its events, in the same statement: one
        # statement less in every command's transaction.
        self.insert_event_arrays_and_command = SQL(
            "WITH command AS (INSERT INTO {0}.{1} (command_id, originator_id, "
            "originator_version, command_digest) VALUES (%b::text, %b::uuid, %b::bigint, "
            "%b::text)) "
            "INSERT INTO {0}.{2} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema, commands, Identifier(self.events_table_name))
        self.notify_user_change = SQL("SELECT pg_notify(%s, %s)")
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

    @_give_up_on_timeouts
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's query (same statement, same rows), composed once per shape."""
        shape = (gt is not None, lte is not None, desc, limit is not None)
        statement = self._select_statements.get(shape)
        if statement is None:
            statement = self._select_statements[shape] = self._select_statement(*shape)
        params = [originator_id, *(v for v in (gt, lte, limit) if v is not None)]
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def _select_statement(self, gt: bool, lte: bool, desc: bool, limit: bool) -> bytes:
        statement = self.select_events_statement
        if gt:
            statement += SQL(" AND originator_version > %s")
        if lte:
            statement += SQL(" AND originator_version <= %s")
        statement += SQL(
            " ORDER BY originator_version DESC" if desc else " ORDER BY originator_version ASC"
        )
        if limit:
            statement += SQL(" LIMIT %s")
        return statement.as_bytes(None)

    def _lock_table(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.lock_table_statement, prepare=True)

    def _notify_channel(self, curs: Cursor[DictRow]) -> None:
        curs.execute(self.notify_statement)

    @_give_up_on_timeouts
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's pipelined insert transaction, synced by `sync_pipeline`. An error
        leaves the transaction (rolled back), not swallowed into its commit as the
        library does: the error raised is the failed statement's own."""
        if not stored_events:
            return None
        with (
            self.datastore.get_connection() as conn,
            pipelined_transaction(conn) as (pipeline, curs),
        ):
            self._insert_stored_events(curs, stored_events, **kwargs)
            # Now, so that a unique violation is raised here as an integrity error
            # rather than as something else at the commit.
            sync_pipeline(conn, pipeline)
            ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        return ids

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
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        command_id: str | None = kwargs.get("command_id")
        if command_id is None:
            curs.execute(self.insert_event_arrays, columns, prepare=True, binary=True)
        else:
            aggregate_id, version = kwargs["command_aggregate"]
            command = (command_id, aggregate_id, version, kwargs.get("command_digest"))
            curs.execute(
                self.insert_event_arrays_and_command,
                (*command, *columns),
                prepare=True,
                binary=True,
            )
        users = {e.originator_id for e in stored_events if e.topic.startswith(USER_TOPIC)}
        command_rows: Sequence[tuple[str, UUID, int, str | None]] = kwargs.get("command_rows", ())
        if not users and not command_rows:
            return
        # A cursor of our own: the library fetches the RETURNING notification ids from
        # `curs` after this method returns, so nothing else may execute on it now.
        with curs.connection.cursor() as own:
            for user_id in users:
                notice = user_change_notice(self.datastore.schema, user_id)
                # Never prepared: in a pipeline whose insert failed (a lost race, which
                # the executor retries) the Parse of a prepared statement would be skipped
                # while psycopg took it as done, and every later use would fail.
                own.execute(self.notify_user_change, (USER_CHANGES_CHANNEL, notice), prepare=False)
            # The import's rows: one command-log entry per record (its identity and its
            # content), in the same transaction as the record's events.
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
        pool_check.install(self.datastore.pool)
