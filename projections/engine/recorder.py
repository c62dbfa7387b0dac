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
from typing import Any, ClassVar, LiteralString

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.sql import SQL, Identifier

from projections.base import Row, Table, View
from projections.facts import Fact
from services.adapters.table_creation import SerialisedTableCreation

APPLICATION_NAME = "rectrack"
"""The followed application's name: the key of every tracking row."""


class DbRows:
    """Rows read from and written to PostgreSQL within the caller's transaction."""

    def __init__(self, curs: Cursor[Any], schema: str) -> None:
        self.curs = curs
        self.schema = schema
        self._cache: dict[tuple[str, Any], Row | None] = {}
        self._dirty: dict[tuple[str, Any], tuple[Table, Row | None]] = {}
        self._added: list[tuple[Table, Row]] = []

    def get(self, table: Table, key: Any) -> Row | None:
        slot = (table.name, key)
        if slot in self._cache:
            return self._cache[slot]
        self._by_key("SELECT * FROM {0}.{1} WHERE {2}", table, key)
        found = self.curs.fetchone()
        row = table.plain(dict(found)) if found is not None else None
        self._cache[slot] = row
        return row

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

    def flush(self) -> None:
        for (_, key), (table, row) in self._dirty.items():
            if row is None:
                self._by_key("DELETE FROM {0}.{1} WHERE {2}", table, key)
            else:
                self._insert(table, row, upsert=True)
        for table, row in self._added:
            self._insert(table, row, upsert=False)
        self._dirty.clear()
        self._added.clear()

    def _by_key(self, statement: LiteralString, table: Table, key: Any) -> None:
        """Run `statement` ({0}.{1}: the table, {2}: its key's condition) for one key."""
        where = SQL(" AND ").join(SQL("{0} = %s").format(Identifier(k)) for k in table.key)
        self.curs.execute(
            SQL(statement).format(Identifier(self.schema), Identifier(table.name), where),
            table.key_values(key),
            prepare=True,
        )

    def _insert(self, table: Table, row: Row, *, upsert: bool) -> None:
        columns = list(table.columns)
        statement = SQL("INSERT INTO {0}.{1} ({2}) VALUES ({3})").format(
            Identifier(self.schema),
            Identifier(table.name),
            SQL(", ").join(Identifier(c) for c in columns),
            SQL(", ").join(SQL("%s") for _ in columns),
        )
        if upsert:
            others = [c for c in columns if c not in table.key]
            statement += SQL(" ON CONFLICT ({0}) DO UPDATE SET {1}").format(
                SQL(", ").join(Identifier(k) for k in table.key),
                SQL(", ").join(SQL("{0} = EXCLUDED.{0}").format(Identifier(c)) for c in others),
            )
        self.curs.execute(statement, [table.db_value(c, row.get(c)) for c in columns], prepare=True)


def pause_lock_keys(schema: str, view_name: str) -> tuple[str, str]:
    """Advisory-lock key of a view: live processing holds it shared per event, a rebuild
    holds it exclusively for its whole run, so live processing of that view pauses."""
    return "rectrack.projection", f"{schema}.{view_name}"


TRANSACTION_SETTINGS = SQL(
    "SELECT set_config('lock_timeout', '0', true), set_config('statement_timeout', '0', true), "
    "set_config('synchronous_commit', 'off', true)"
)
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

    def project(self, fact: Fact, tracking: Tracking) -> None:
        self.project_page([(fact, tracking)])

    def project_page(self, page: Sequence[tuple[Fact, Tracking]]) -> None:
        """Apply consecutive events (in log order) and track the last, atomically."""
        if not page:
            return
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
            rows = DbRows(curs, self.datastore.schema)
            last: Tracking | None = None
            for fact, tracking in page:
                if tracking.notification_id <= done:
                    continue  # a rebuild already covered this event while we waited
                fact.notification_id = tracking.notification_id
                self.view.apply(fact, rows)
                last = tracking
            if last is None:
                return
            rows.flush()
            self._insert_tracking(curs, last)

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
