"""The one pattern every read model follows: what a view is written with.

A view is a `View`: a few `Table`s of its own and handlers that turn one `Fact` into row
changes through a `Rows` store. Handlers are declared with the domain's event classes,
`@on(Recommendation.Issued, Task.Opened)` (the classes as projections/events.py names
them); each class is mapped once to the topic it is stored under, and a fact is
dispatched by its topic, so a renamed event class is an error at import, never a handler
that silently stops being called. The handlers never touch SQL, so the same code runs
in two places (projections/engine/):

- live, inside the library's ProjectionRunner: the view's recorder applies one event
  with rows read and upserted in one transaction and writes the tracking position in
  that same transaction (engine/recorder.py);
- in a rebuild or replay (engine/rebuild.py): rows are kept in memory while the log is
  read in large pages, then COPYed out. For the seven recommendation views a rebuild
  does not call the handlers on recommendation events but folds each event once for all
  of them (engine/bulk.py), which must and is tested to give the same rows.

Rows are plain dicts with JSON-friendly values: ids and dates as strings, lists, dicts.
Rows read back from PostgreSQL are converted to that form (`Table.plain`), so a handler
sees the same values on both paths.

To add a view:
1. write projections/views/<name>.py: subclass View, set `name` (short, lower case: it
   prefixes the tables and names the tracking table `<name>_tracking`) and `tables`,
   write handlers decorated with `@on(Aggregate.Event, ...)` taking (self, fact, rows),
   and put the view's read queries in the same module;
2. add `ViewSpec(XView())` to `VIEWS` in projections/engine/registry.py.
Live running, rebuild, replay, status and read-your-writes then work for it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any, ClassVar, Protocol

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Composed, Identifier
from psycopg.types.json import Json, Jsonb

from projections.facts import Fact

Row = dict[str, Any]


@dataclass(frozen=True)
class Table:
    """A table of a view. `columns` maps names to SQL types; `key` is the primary key;
    `indexes` are index bodies, e.g. "(authority_id, reply_due)" or "USING gin (themes)"."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    indexes: tuple[str, ...] = ()
    #: a few thousand rows at most (counters): the live projector reads it whole once
    #: and keeps it in memory, instead of a statement per key it has not seen yet
    small: bool = False
    #: keyed by the event's aggregate first, with several rows each (first key column a
    #: uuid): the live projector reads a page's aggregates' rows in one statement
    by_aggregate: bool = False
    _plain: tuple[tuple[str, Callable[[Any], Any]], ...] = field(
        default=(), init=False, repr=False, compare=False
    )
    #: the key of a row: one C call, where a generator of the key's columns cost the
    #: counters' views (a put per counter an event moves) more than their handlers
    key_of: Callable[[Row], Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        converters = []
        for column, sql_type in self.columns.items():
            convert = _TO_PLAIN.get(sql_type)
            if convert is not None:
                converters.append((column, convert))
        object.__setattr__(self, "_plain", tuple(converters))
        # itemgetter of one column gives its value, of several their tuple: the key's
        # form everywhere (a single column's value, else a tuple in the key's order).
        object.__setattr__(self, "key_of", itemgetter(*self.key))

    def key_values(self, key: Any) -> tuple[Any, ...]:
        return (key,) if len(self.key) == 1 else tuple(key)

    def row_of(self, fact: Fact) -> Row:
        """The row an event states of its aggregate, for a table keyed by the aggregate's
        id: the key is the aggregate's id, every other column the event's field of the
        same name (None where the event has none)."""
        (key,) = self.key
        data = fact.data
        return {c: str(fact.originator_id) if c == key else data.get(c) for c in self.columns}

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
        if value is not None:
            sql_type = self.columns[column]
            if sql_type == "jsonb":
                return Jsonb(value)
            if sql_type == "json":
                return Json(value)
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


def update_row(rows: Rows, table: Table, key: Any, **values: Any) -> None:
    """Set these columns of the row with this key, if the view has that row."""
    row = rows.get(table, key)
    if row is not None:
        row.update(values)
        rows.put(table, row)


Handler = Callable[[Any, Fact, Rows], None]


def on(*event_classes: type) -> Callable[[Handler], Handler]:
    """Marks a View method as the handler of these domain event classes."""
    for event_class in event_classes:
        if not (isinstance(event_class, type) and issubclass(event_class, DomainEvent)):
            raise TypeError(f"@on takes domain event classes, not {event_class!r}")

    def mark(method: Handler) -> Handler:
        method._handles = event_classes  # type: ignore[attr-defined]
        return method

    return mark


class View:
    """A read model: its tables and the handlers that maintain them."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]]
    handled: ClassVar[frozenset[type]]
    """The event classes the view has a handler for."""
    _handlers: ClassVar[dict[str, Handler]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        handled: dict[type, Handler] = {}
        for base in reversed(cls.__mro__):
            for attribute in vars(base).values():
                for event_class in getattr(attribute, "_handles", ()):
                    handled[event_class] = attribute
        cls.handled = frozenset(handled)
        # Facts are dispatched by the topic they are stored under.
        cls._handlers = {get_topic(c): handler for c, handler in handled.items()}

    def apply(self, fact: Fact, rows: Rows) -> None:
        handler = self._handlers.get(fact.topic)
        if handler is not None:
            handler(self, fact, rows)

    def handles(self, topic: str) -> bool:
        return topic in self._handlers

    def tracking_table(self) -> str:
        return f"{self.name}_tracking"
