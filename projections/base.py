"""The one pattern every read model follows.

A view is a `View`: a few `Table`s of its own and handlers that turn one `Fact` into row
changes through a `Rows` store. The handlers never touch SQL, so the same code runs in
two places:

- live, inside the library's ProjectionRunner: `ViewRecorder.project()` applies one
  event with `DbRows` (rows read and upserted in one transaction) and writes the
  tracking position in that same transaction, so a crash never counts an event twice or
  skips one;
- in a rebuild or replay (projections/rebuild.py): `MemoryRows` keeps every row in
  memory while the log is read in large pages, then COPYs them out; tracking is written
  in the transaction that installs the tables. For the five recommendation views a
  rebuild does not call the handlers on recommendation events but folds each event once
  for all of them (projections/bulk.py), which must and is tested to give the same rows.

Rows are plain dicts with JSON-friendly values: ids and dates as strings, lists, dicts.
`DbRows` converts what PostgreSQL returns back to that form, so a handler sees the same
values on both paths.

To add a view (e.g. projections/inbox.py):
1. subclass View: set `name` (short, lower case: it prefixes the tables and names the
   tracking table `<name>_tracking`) and `tables`; write handlers decorated with
   `@on("Aggregate.EventName", ...)` taking (self, fact, rows);
2. declare `class XRecorder(ViewRecorder): view = XView()` and
   `class XProjection(ViewProjection): name = "x"`;
3. add `ViewSpec(XProjection, XRecorder)` to `VIEWS` in projections/registry.py.
Live running, rebuild, replay, status and read-your-writes then work for it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection
from psycopg import Cursor
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Jsonb

from projections.facts import Fact
from services.adapters.table_creation import SerialisedTableCreation

APPLICATION_NAME = "rectrack"
"""The followed application's name: the key of every tracking row."""

Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """A table of a view. `columns` maps names to SQL types; `key` is the primary key;
    `indexes` are index bodies, e.g. "(authority_id, reply_due)" or "USING gin (themes)"."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    indexes: tuple[str, ...] = ()
    _plain: tuple[tuple[str, Callable[[Any], Any]], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        converters = []
        for column, sql_type in self.columns.items():
            convert = _TO_PLAIN.get(sql_type)
            if convert is not None:
                converters.append((column, convert))
        object.__setattr__(self, "_plain", tuple(converters))

    def key_of(self, row: Row) -> Any:
        if len(self.key) == 1:
            return row[self.key[0]]
        return tuple(row[k] for k in self.key)

    def key_values(self, key: Any) -> tuple[Any, ...]:
        return (key,) if len(self.key) == 1 else tuple(key)

    def plain(self, row: Row) -> Row:
        """A row read from PostgreSQL, in the form handlers write it."""
        for column, convert in self._plain:
            value = row.get(column)
            if value is not None:
                row[column] = convert(value)
        return row

    def create_statements(
        self, schema: str, *, with_indexes: bool = True, with_key: bool = True
    ) -> list[Composed]:
        """`with_key=False` leaves the primary key out, for a bulk load that adds it
        afterwards with `key_statement()` (one sorted build instead of a btree insert
        per row)."""
        columns = SQL(", ").join(
            SQL("{0} {1}").format(Identifier(c), SQL(t))  # type: ignore[arg-type]
            for c, t in self.columns.items()
        )
        if with_key:
            key = SQL(", ").join(Identifier(k) for k in self.key)
            columns = SQL("{0}, PRIMARY KEY ({1})").format(columns, key)
        statements = [
            SQL("CREATE TABLE IF NOT EXISTS {0}.{1} ({2})").format(
                Identifier(schema), Identifier(self.name), columns
            )
        ]
        if with_indexes:
            statements.extend(self.index_statements(schema))
        return statements

    def key_statement(self, schema: str) -> Composed:
        return SQL("ALTER TABLE {0}.{1} ADD PRIMARY KEY ({2})").format(
            Identifier(schema),
            Identifier(self.name),
            SQL(", ").join(Identifier(k) for k in self.key),
        )

    def index_statements(self, schema: str) -> list[Composed]:
        return [
            SQL("CREATE INDEX IF NOT EXISTS {0} ON {1}.{2} {3}").format(
                Identifier(f"{self.name}_ix{number}"),
                Identifier(schema),
                Identifier(self.name),
                SQL(body),  # type: ignore[arg-type]
            )
            for number, body in enumerate(self.indexes)
        ]

    def db_value(self, column: str, value: Any) -> Any:
        if value is not None and self.columns[column] == "jsonb":
            return Jsonb(value)
        return value


def _iso(value: date | datetime) -> str:
    return value.isoformat()


_TO_PLAIN: dict[str, Callable[[Any], Any]] = {
    "date": _iso,
    "uuid": str,
}


class Rows(Protocol):
    """Where a handler reads and writes the rows of its view."""

    def get(self, table: Table, key: Any) -> Row | None: ...

    def put(self, table: Table, row: Row) -> None: ...

    def delete(self, table: Table, key: Any) -> None: ...

    def add(self, table: Table, row: Row) -> None:
        """Insert a row that is never read back (an append-only history)."""


Handler = Callable[[Any, Fact, Rows], None]


def on(*names: str) -> Callable[[Handler], Handler]:
    """Marks a View method as the handler of the named events ("Aggregate.Event")."""

    def mark(method: Handler) -> Handler:
        method._handles = names  # type: ignore[attr-defined]
        return method

    return mark


class View:
    """A read model: its tables and the handlers that maintain them."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    _handlers: ClassVar[dict[str, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handlers: dict[str, Handler] = {}
        for base in reversed(cls.__mro__):
            for attribute in vars(base).values():
                for name in getattr(attribute, "_handles", ()):
                    handlers[name] = attribute
        cls._handlers = handlers

    def apply(self, fact: Fact, rows: Rows) -> None:
        handler = self._handlers.get(fact.name)
        if handler is not None:
            handler(self, fact, rows)

    def handles(self, name: str) -> bool:
        return name in self._handlers

    def tracking_table(self) -> str:
        return f"{self.name}_tracking"


# --- live: one event, one transaction -------------------------------------------------------


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
        where = SQL(" AND ").join(SQL("{0} = %s").format(Identifier(k)) for k in table.key)
        self.curs.execute(
            SQL("SELECT * FROM {0}.{1} WHERE {2}").format(
                Identifier(self.schema), Identifier(table.name), where
            ),
            table.key_values(key),
            prepare=True,
        )
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
                where = SQL(" AND ").join(SQL("{0} = %s").format(Identifier(k)) for k in table.key)
                self.curs.execute(
                    SQL("DELETE FROM {0}.{1} WHERE {2}").format(
                        Identifier(self.schema), Identifier(table.name), where
                    ),
                    table.key_values(key),
                    prepare=True,
                )
            else:
                self._insert(table, row, upsert=True)
        for table, row in self._added:
            self._insert(table, row, upsert=False)
        self._dirty.clear()
        self._added.clear()

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
        with self.datastore.transaction(commit=True) as curs:
            # Waiting for a rebuild to finish is expected, not a lock problem. And the
            # commit need not wait for its flush to disk: the view and its tracking row are
            # one transaction, so a crash can only lose both together, and the event is
            # then projected again from the tracked position (the views are rebuildable;
            # only the event store's own commits are synchronous).
            curs.execute(TRANSACTION_SETTINGS, prepare=True)
            curs.execute(LOCK_SHARED, self._lock_keys, prepare=True)
            curs.execute(self._select_position, (tracking.application_name,), prepare=True)
            position = curs.fetchone()
            done = None if position is None else position["notification_id"]
            if done is not None and done >= tracking.notification_id:
                return  # a rebuild already covered this event while we waited
            fact.notification_id = tracking.notification_id
            rows = DbRows(curs, self.datastore.schema)
            self.view.apply(fact, rows)
            rows.flush()
            self._insert_tracking(curs, tracking)

    def position(self) -> int:
        return self.max_tracking_id(APPLICATION_NAME) or 0


class ViewProjection(Projection[ViewRecorder]):
    """The library projection for a view: hands each fact to its recorder."""

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # type: ignore[override]
        self.view.project(domain_event, tracking)


# --- rebuild and replay: everything in memory, then COPY -------------------------------------


class MemoryRows:
    """Rows of several views kept in memory during a rebuild. Append-only rows are
    handed to `spill` in chunks, so a long history never has to fit in memory."""

    def __init__(self, spill: Callable[[Table, list[Row]], None], chunk: int = 50_000) -> None:
        self.tables: dict[str, dict[Any, Row]] = {}
        self.appended: dict[str, tuple[Table, list[Row]]] = {}
        self._spill = spill
        self._chunk = chunk

    def get(self, table: Table, key: Any) -> Row | None:
        rows = self.tables.get(table.name)
        return None if rows is None else rows.get(key)

    def put(self, table: Table, row: Row) -> None:
        rows = self.tables.get(table.name)
        if rows is None:
            rows = self.tables[table.name] = {}
        rows[table.key_of(row)] = row

    def delete(self, table: Table, key: Any) -> None:
        rows = self.tables.get(table.name)
        if rows is not None:
            rows.pop(key, None)

    def add(self, table: Table, row: Row) -> None:
        entry = self.appended.get(table.name)
        if entry is None:
            entry = self.appended[table.name] = (table, [])
        entry[1].append(row)
        if len(entry[1]) >= self._chunk:
            self._spill(table, entry[1])
            entry[1].clear()

    def drain(self, tables: Iterable[Table]) -> Iterator[tuple[Table, list[Row]]]:
        """Every remaining row of the given tables, table by table."""
        for table in tables:
            kept = self.tables.pop(table.name, None)
            if kept:
                yield table, list(kept.values())
            appended = self.appended.pop(table.name, None)
            if appended and appended[1]:
                yield table, appended[1]
