"""Live processing: one page of events, one transaction.

`ViewRecorder` is the library's PostgreSQL tracking recorder, extended with a view's
tables and a `project_page()` that applies a page of consecutive events to the view's
rows (`DbRows`, read once, kept in memory for the page and upserted at its end within
the transaction) and writes the tracking position of the page's last event in that same
transaction, so a crash never counts an event twice or skips one. `ViewProjection` is
the library projection that hands each fact to its recorder. The registry
(engine/registry.py) makes one subclass of each per view (`recorder_for`,
`projection_for`), which the library's ProjectionRunner runs (engine/runner.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import orjson
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Connection, Cursor
from psycopg.sql import SQL, Composed, Identifier

from projections.base import Row, Table, View
from projections.facts import Fact
from services.adapters.pipeline_sync import sync_pipeline
from services.adapters.table_creation import SerialisedTableCreation

APPLICATION_NAME = "rectrack"
"""The followed application's name: the key of every tracking row."""


_WHOLE = object()
"""In the cache's key, beside a table's name: that table is in memory whole."""
_GROUP = object()
"""(_GROUP, id) in the cache's key, beside a table's name: every row of that table whose
first key column is `id` is in memory."""


class DbRows:
    """Rows read from and written to PostgreSQL within the caller's transaction.

    A page of events reads each row at most once (then from memory) and writes each
    changed row once at the end, table by table in one pipelined `executemany`: the
    round trips, not the handlers, were the live projector's cost."""

    def __init__(
        self,
        curs: Cursor[Any],
        schema: str,
        cache: dict[tuple[str, Any], Row | None] | None = None,
        stored: dict[tuple[str, Any], bytes] | None = None,
    ) -> None:
        self.curs = curs
        self.schema = schema
        self._cache: dict[tuple[str, Any], Row | None] = {} if cache is None else cache
        #: the values as committed of the rows of the small tables held whole (kept by
        #: the caller with the cache, and forgotten with it): a counter an event moved
        #: and a later event of the page moved back is not written
        self._stored = stored
        self._dirty: dict[tuple[str, Any], tuple[Table, Row | None]] = {}
        self._added: list[tuple[Table, Row]] = []

    def get(self, table: Table, key: Any) -> Row | None:
        slot = (table.name, key)
        if slot in self._cache:
            return self._cache[slot]
        if (table.name, _WHOLE) in self._cache or (
            len(table.key) > 1 and (table.name, (_GROUP, key[0])) in self._cache
        ):
            return None
        self.curs.execute(
            _statement(self.schema, table, "select"), table.key_values(key), prepare=True
        )
        found = self.curs.fetchone()
        row = table.plain(dict(found)) if found is not None else None
        self._cache[slot] = row
        return row

    def prefetch(self, table: Table, keys: set[str]) -> None:
        """Read the rows of `keys` (single-column uuid keys) not yet known in one
        statement; a key with no row is remembered as absent."""
        wanted = [k for k in keys if (table.name, k) not in self._cache]
        if not wanted:
            return
        for slot in wanted:
            self._cache[(table.name, slot)] = None
        self.curs.execute(_statement(self.schema, table, "prefetch"), (wanted,), prepare=True)
        for found in self.curs.fetchall():
            row = table.plain(dict(found))
            self._cache[(table.name, table.key_of(row))] = row

    def prefetch_groups(self, table: Table, firsts: set[str]) -> None:
        """For a table keyed by several columns, the first a uuid: read every row whose
        first key column is one of `firsts` (the page's aggregates) in one statement;
        afterwards a key of such a group not in memory has no row. The group's marker
        goes in before its rows (a row already in memory is moved after it), so the
        oldest-first eviction never keeps a marker without its rows."""
        wanted = [k for k in firsts if (table.name, (_GROUP, k)) not in self._cache]
        if not wanted:
            return
        for first in wanted:
            self._cache[(table.name, (_GROUP, first))] = None
        self.curs.execute(_statement(self.schema, table, "prefetch"), (wanted,), prepare=True)
        for found in self.curs.fetchall():
            row = table.plain(dict(found))
            slot = (table.name, table.key_of(row))
            self._cache.pop(slot, None)
            self._cache[slot] = row

    def load_whole(self, table: Table) -> None:
        """Read a small table whole, unless it is in memory whole already; then a key
        not in memory has no row. Called before the page changes anything, when what
        is in memory is what was committed. The marker goes in before the rows, so the
        oldest-first eviction between pages (ViewRecorder) never keeps the marker
        without all of the rows."""
        marker = (table.name, _WHOLE)
        if marker in self._cache:
            return
        for slot in [slot for slot in self._cache if slot[0] == table.name]:
            del self._cache[slot]
        stored = self._stored
        if stored is not None:
            for slot in [slot for slot in stored if slot[0] == table.name]:
                del stored[slot]
        self._cache[marker] = None
        self.curs.execute(_statement(self.schema, table, "all"), prepare=True)
        for found in self.curs.fetchall():
            row = table.plain(dict(found))
            slot = (table.name, table.key_of(row))
            self._cache[slot] = row
            if stored is not None:
                stored[slot] = _image(row)

    def put(self, table: Table, row: Row) -> None:
        slot = (table.name, table.key_of(row))
        self._cache[slot] = row
        self._dirty[slot] = (table, row)

    def delete(self, table: Table, key: Any) -> None:
        slot = (table.name, key)
        self._cache[slot] = None
        self._dirty[slot] = (table, None)

    def add(self, table: Table, row: Row) -> None:
        self._added.append((table, row))

    @property
    def appends(self) -> bool:
        """Whether the flush has appended rows (COPY, which a pipeline cannot carry)."""
        return bool(self._added)

    def flush(self) -> None:
        # Deletes and upserts touch distinct keys (one entry per key), so grouping them
        # by table and kind keeps the outcome; appended rows follow in their order.
        batches: dict[tuple[str, str], tuple[Table, list[Any]]] = {}
        for (name, key), (table, row) in self._dirty.items():
            if self._unchanged(table, (name, key), row):
                continue
            kind = "delete" if row is None else "upsert"
            entry = batches.setdefault((name, kind), (table, []))
            if row is None:
                entry[1].append(dict(zip(table.key, table.key_values(key), strict=True)))
            else:
                entry[1].append(row)
        for table, row in self._added:
            entry = batches.setdefault((table.name, "insert"), (table, []))
            entry[1].append(row)
        for (_, kind), (table, rows) in batches.items():
            if kind == "insert" and len(rows) > 1:
                # Appended rows (timelines) go in with COPY: no statement per row.
                with self.curs.copy(_statement(self.schema, table, "copy")) as copy:
                    for row in rows:
                        copy.write_row(_values(table, row))
            elif len(rows) == 1:
                values = list(rows[0].values()) if kind == "delete" else _values(table, rows[0])
                self.curs.execute(_statement(self.schema, table, kind), values, prepare=True)
            else:
                # One statement for the page's rows of a table, sent as one JSON array:
                # a statement per row (even pipelined) cost the counters' views most of
                # their page.
                self.curs.execute(
                    _statement(self.schema, table, f"{kind} set"),
                    (_json_rows(rows),),
                    prepare=True,
                )
        self._dirty.clear()
        self._added.clear()

    def _unchanged(self, table: Table, slot: tuple[str, Any], row: Row | None) -> bool:
        """Whether a changed row of a small table held whole is as committed (nothing
        to write); otherwise its values are remembered as what this flush commits."""
        stored = self._stored
        if stored is None or not table.small or (table.name, _WHOLE) not in self._cache:
            return False
        if row is None:
            return stored.pop(slot, None) is None
        image = _image(row)
        if stored.get(slot) == image:
            return True
        stored[slot] = image
        return False


def _image(row: Row) -> bytes:
    # Bytes, not a copy of the dict: a handler may change a list in a row in place. Two
    # images differ if only the order of the keys does: then the row is written anyway.
    return orjson.dumps(row, default=str)


def _json_rows(rows: list[Row]) -> str:
    # The rows as they are: jsonb_populate_recordset takes the table's columns by name
    # (a key the table has no column for is ignored, a missing one is NULL, as before),
    # so no dict per row is built to pick the columns.
    return orjson.dumps(rows, default=str).decode()


def _values(table: Table, row: Row) -> list[Any]:
    return [table.db_value(c, row.get(c)) for c in table.columns]


_STATEMENTS: dict[tuple[str, str, str], bytes] = {}


def _statement(schema: str, table: Table, kind: str) -> bytes:
    """The statement of a kind (select, delete, upsert, insert; "delete set" and "upsert
    set" for many rows given as one JSON array) for a table, composed
    once per process: composing it per row cost more than running it."""
    slot = (schema, table.name, kind)
    cached = _STATEMENTS.get(slot)
    if cached is not None:
        return cached
    target = SQL("{0}.{1}").format(Identifier(schema), Identifier(table.name))
    where = SQL(" AND ").join(SQL("{0} = %s").format(Identifier(k)) for k in table.key)
    composed: Composed
    if kind == "copy":
        composed = SQL("COPY {0} ({1}) FROM STDIN").format(
            target, SQL(", ").join(Identifier(c) for c in table.columns)
        )
    elif kind == "prefetch":
        composed = SQL("SELECT * FROM {0} WHERE {1} = ANY(%s::uuid[])").format(
            target, Identifier(table.key[0])
        )
    elif kind == "all":
        composed = SQL("SELECT * FROM {0}").format(target)
    elif kind == "select":
        composed = SQL("SELECT * FROM {0} WHERE {1}").format(target, where)
    elif kind == "delete":
        composed = SQL("DELETE FROM {0} WHERE {1}").format(target, where)
    elif kind == "delete set":
        composed = SQL(
            "DELETE FROM {0} AS t USING jsonb_populate_recordset(NULL::{0}, %s::jsonb) AS d "
            "WHERE {1}"
        ).format(
            target,
            SQL(" AND ").join(SQL("t.{0} = d.{0}").format(Identifier(k)) for k in table.key),
        )
    else:
        columns = list(table.columns)
        names = SQL(", ").join(Identifier(c) for c in columns)
        if kind == "upsert set":
            composed = SQL(
                "INSERT INTO {0} ({1}) SELECT {1} FROM jsonb_populate_recordset(NULL::{0}, "
                "%s::jsonb)"
            ).format(target, names)
        else:
            composed = SQL("INSERT INTO {0} ({1}) VALUES ({2})").format(
                target, names, SQL(", ").join(SQL("%s") for _ in columns)
            )
        if kind.startswith("upsert"):
            others = [c for c in columns if c not in table.key]
            composed += SQL(" ON CONFLICT ({0}) DO UPDATE SET {1}").format(
                SQL(", ").join(Identifier(k) for k in table.key),
                SQL(", ").join(SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in others),
            )
    cached = _STATEMENTS[slot] = composed.as_bytes(None)
    return cached


def pause_lock_keys(schema: str, view_name: str) -> tuple[str, str]:
    """Advisory-lock key of a view: live processing holds it shared per event, a rebuild
    holds it exclusively for its whole run, so live processing of that view pauses."""
    return "rectrack.projection", f"{schema}.{view_name}"


def set_position(conn: Connection[Any], schema: str, view: View, position: int) -> None:
    """Move `view`'s tracking row to `position` in `conn`'s transaction, the rows it
    stands for written in the same one (a rebuild's swap, an import's fold)."""
    conn.execute(
        SQL(
            "INSERT INTO {0}.{1} (application_name, notification_id) VALUES (%s, %s) "
            "ON CONFLICT (application_name) DO UPDATE SET notification_id = "
            "EXCLUDED.notification_id"
        ).format(Identifier(schema), Identifier(view.tracking_table())),
        (APPLICATION_NAME, position),
    )


TRANSACTION_SETTINGS = SQL(
    "SELECT set_config('lock_timeout', '0', true), set_config('statement_timeout', '0', true), "
    "set_config('synchronous_commit', 'off', true)"
)
ROWS_KEPT = 20_000
"""Rows a view's live recorder keeps in memory between pages (the oldest half goes when
it holds more)."""
LOCK_SHARED = SQL("SELECT pg_advisory_xact_lock_shared(hashtext(%s), hashtext(%s))")


class ViewRecorder(SerialisedTableCreation, PostgresTrackingRecorder):
    """The library's PostgreSQL tracking recorder, extended with the view's tables and a
    `project()` that applies one event and records its position atomically."""

    view: ClassVar[View]

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        tracking_table_name: str = "notification_tracking",
        **kwargs: Any,
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name, **kwargs)
        schema = self.datastore.schema
        for table in self.view.tables:
            self.sql_create_statements.extend(table.create_statements(schema))
        self._lock_keys = pause_lock_keys(schema, self.view.name)
        self._select_position = SQL(
            "SELECT notification_id FROM {0}.{1} WHERE application_name = %s"
        ).format(Identifier(schema), Identifier(self.tracking_table_name))
        # Rows as committed, kept between pages while the tracked position is the one
        # this recorder committed last (only it writes the view's tables then): the
        # counters and recommendations a page touches were mostly read by the pages
        # before it.
        self._rows: dict[tuple[str, Any], Row | None] = {}
        self._stored: dict[tuple[str, Any], bytes] = {}
        self._committed: int | None = None
        self._by_uuid = [
            t for t in self.view.tables if len(t.key) == 1 and t.columns[t.key[0]] == "uuid"
        ]
        self._small = [t for t in self.view.tables if t.small]
        self._grouped = [t for t in self.view.tables if t.by_aggregate]

    def project(self, fact: Fact, tracking: Tracking) -> None:
        self.project_page([(fact, tracking)])

    def project_page(self, page: Sequence[tuple[Fact, Tracking]]) -> None:
        """Apply consecutive events (in log order) and track the last, atomically."""
        if not page:
            return
        try:
            committed = self._project_page(page)
        except BaseException:
            # Handlers change cached rows in place: after a failed transaction the
            # cache may hold what the database does not.
            self._rows.clear()
            self._stored.clear()
            self._committed = None
            raise
        if committed is not None:
            self._committed = committed
            if len(self._rows) > ROWS_KEPT:
                for slot in list(self._rows)[: len(self._rows) - ROWS_KEPT // 2]:
                    del self._rows[slot]

    def _project_page(self, page: Sequence[tuple[Fact, Tracking]]) -> int | None:
        with self.datastore.transaction(commit=True) as curs:
            # Waiting for a rebuild to finish is expected, not a lock problem. And the
            # commit need not wait for its flush to disk: the view and its tracking row are
            # one transaction, so a crash can only lose both together, and the event is
            # then projected again from the tracked position (the views are rebuildable;
            # only the event store's own commits are synchronous).
            curs.execute(TRANSACTION_SETTINGS, prepare=True)
            curs.execute(LOCK_SHARED, self._lock_keys, prepare=True)
            curs.execute(self._select_position, (page[0][1].application_name,), prepare=True)
            position = curs.fetchone()
            done = -1 if position is None else int(position["notification_id"])
            if done != self._committed:
                # Someone else moved the view (a rebuild, a restore): forget its rows.
                self._rows.clear()
                self._stored.clear()
            rows = DbRows(curs, self.datastore.schema, self._rows, self._stored)
            # Most handlers start from the row of the event's aggregate: read those of
            # the whole page in one statement per uuid-keyed table.
            originators = {str(fact.originator_id) for fact, _ in page}
            for table in self._by_uuid:
                rows.prefetch(table, originators)
            for table in self._grouped:
                rows.prefetch_groups(table, originators)
            for table in self._small:
                rows.load_whole(table)
            last: Tracking | None = None
            for fact, tracking in page:
                if tracking.notification_id <= done:
                    continue  # a rebuild already covered this event while we waited
                fact.notification_id = tracking.notification_id
                self.view.apply(fact, rows)
                last = tracking
            if last is None:
                return None
            if rows.appends or not self.datastore.single_row_tracking:
                rows.flush()
                self._insert_tracking(curs, last)
            else:
                self._flush_and_track(curs, rows, last)
            return last.notification_id

    def _flush_and_track(self, curs: Cursor[Any], rows: DbRows, last: Tracking) -> None:
        """The page's writes and its tracking row in one round trip: under load each
        round trip waits for a core, and a counters' view has several statements to send.
        Synced by `sync_pipeline` (services/adapters/pipeline_sync.py), not psycopg's sync,
        which may leave part of a large batch unsent."""
        conn = curs.connection
        with conn.pipeline() as pipeline:
            rows.flush()
            # The library's _insert_tracking, its result read after the sync.
            curs.execute(
                self.insert_tracking_statement,
                {
                    "application_name": last.application_name,
                    "notification_id": last.notification_id,
                },
                prepare=True,
            )
            sync_pipeline(conn, pipeline)
            if curs.fetchone() is None:
                raise IntegrityError(
                    f"Failed to record tracking for {last.application_name} {last.notification_id}"
                )

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION_NAME) or 0


class ViewProjection(Projection[ViewRecorder]):
    """The library projection for a view: hands each fact to its recorder."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        self.view.project(domain_event, tracking)

    def process_page(self, page: Sequence[tuple[Any, Tracking]]) -> None:
        self.view.project_page(page)


def recorder_for(view: View) -> type[ViewRecorder]:
    """The recorder class of a view (the library constructs it per runner)."""
    recorder: type[ViewRecorder] = type(
        f"{type(view).__name__.removesuffix('View')}Recorder",
        (ViewRecorder,),
        {"view": view, "__module__": __name__},
    )
    return recorder


def projection_for(view: View) -> type[ViewProjection]:
    """The projection class of a view, named as the view (it names the tracking table)."""
    projection: type[ViewProjection] = type(
        f"{type(view).__name__.removesuffix('View')}Projection",
        (ViewProjection,),
        {"name": view.name, "__module__": __name__},
    )
    return projection
