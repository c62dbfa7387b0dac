"""The rebuild's fast path for recommendation events: decode and interpret each event
once for all six views that follow them, and derive their rows at the end.

Live, each view's handler reads its row, calls `changes()` and writes its row back, per
event (projections/views/): about 200 µs an event for four views. Here one `changes()`
call per event updates one in-memory record per recommendation (the field dict the
audit timeline folds on read, projections/views/timeline.py), and when the log is read
every view's per-recommendation rows, and the
counters of the scorecard and trends views, are derived from the final records (by
PostgreSQL, from each record's fields as jsonb and a few values); the statistics and
register views' few rows are kept by engine/bulk_side.py. Each derived value follows
its handler's rule (noted at each place); tests/projections/test_bulk.py builds a
varied store both ways and compares every table row by row, and the rebuild and replay
tests compare it with the live views. Events of other aggregates (authorities, places,
visits, reports, tasks) are few; they still go through the views' handlers.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from psycopg.copy import QueuedLibpqWriter
from psycopg.sql import SQL, Identifier

from projections.base import Row, Table
from projections.engine.bulk_counters import CounterInputs, counter_inputs, counter_totals
from projections.engine.bulk_side import SIDE_VIEWS, SideFold
from projections.engine.copybinary import COPY_SIGNATURE, COPY_TRAILER, jsonb
from projections.engine.copytext import copy_rows, copy_statement, uuid_text
from projections.views import places, scorecard, status, trends
from projections.views.recommendation_fields import (
    DRAFTED,
    LABEL_BY_TOPIC,
    RECOMMENDATION_TOPICS,
    blank,
    changes_of,
    obligation_due,
)
from projections.views.status import CLOSED

_CORE_VIEWS = frozenset({"status", "scorecard", "trends", "places"})
FOLDED_VIEWS = _CORE_VIEWS | SIDE_VIEWS
"""Views whose recommendation events this module (and engine/bulk_side.py) handles."""

FOLDED_TOPICS = RECOMMENDATION_TOPICS
"""The events this module folds: every recommendation event the views follow."""

_STATE_HEAD = struct.Struct(">hi16s").pack


class _Record:
    """One recommendation as the fold leaves it: its fields after its latest event and
    the few per-view values that depend on when something happened."""

    __slots__ = (
        "closure_reason",
        "fields",
        "last",
        "place_type",
        "places_made_on",
        "replied_on_time",
        "trends_made_on",
        "version",
    )

    def __init__(self) -> None:
        self.fields: dict[str, Any] = blank()
        self.place_type: str | None = None
        self.trends_made_on: str | None = None
        self.places_made_on: str | None = None
        self.replied_on_time: bool | None = None
        # The latest action, its date and actor (the status view's last_*).
        self.last: tuple[str | None, str | None, str | None] = (None, None, None)
        self.version = 0
        # The reason given with the latest closure (the status view's closure_reason).
        self.closure_reason: str | None = None


class RecommendationFold:
    """Feed it every recommendation event in log order with `apply` (ids as 16 bytes);
    `write()` then writes the recommendation tables. Nothing it keeps depends on an
    event's position in the log, only on its aggregate's order."""

    def __init__(self, views: frozenset[str], place_of: Callable[[str], Row | None]) -> None:
        self.views = views & _CORE_VIEWS
        self.side = SideFold(views)
        self._side_rules = self.side.rules
        self.records: dict[bytes, _Record] = {}
        self._inputs: CounterInputs = (None, None)
        # The events to hand over: all recommendation events, or the side views' few.
        self.topics = FOLDED_TOPICS if self.views else frozenset(self._side_rules)
        self._place_of = place_of

    def apply(self, originator_id: bytes, version: int, topic: str, data: Any) -> None:
        """Fold one recommendation event in. Takes `data` over (it is changed)."""
        if not self.views:  # only engine/bulk_side.py's views are built
            side = self._side_rules.get(topic)
            if side is not None:
                side(originator_id, version, data, (data.get("meta") or {}).get("business_date"))
            return
        record = self.records.get(originator_id)
        if record is None:
            record = self.records[originator_id] = _Record()
        fields = record.fields
        meta = data.get("meta") or {}
        day = meta.get("business_date")
        update = changes_of(fields, topic, data, day)
        side = self._side_rules.get(topic)
        if side is not None:
            side(originator_id, version, data, day)
        fields.update(update)
        if topic == DRAFTED:
            # StatusView: the place's type as the status view knows it at drafting.
            place_id = fields["place_id"]
            if place_id:
                place = self._place_of(place_id)
                record.place_type = place["place_type"] if place else None
            # PlacesView: dated by drafting (only recommendations drafted about a place
            # have a row: those with a place_id, selected in _DERIVED)...
            record.places_made_on = day
        if "issued_on" in update:  # ... then by any issue, even one without a date.
            record.places_made_on = update["issued_on"]
        # TrendsView: made on the date of issue, else of drafting, once known.
        made_on = update.get("issued_on") or (
            update.get("drafted_on") if record.trends_made_on is None else None
        )
        if made_on is not None:
            record.trends_made_on = made_on
        # ScorecardView: on time against the due date standing at the first reply.
        if "first_response_on" in update and fields["reply_due"] is not None:
            record.replied_on_time = update["first_response_on"] <= fields["reply_due"]
        # StatusView: the latest action (PlacesView's changed_on is its date too).
        record.last = (LABEL_BY_TOPIC[topic], day, meta.get("actor_id"))
        if topic == CLOSED:  # StatusView: the latest closure's reason
            record.closure_reason = meta.get("reason")
        record.version = version

    def per_recommendation_tables(self) -> list[Table]:
        """The tables of the folded views with a row per recommendation."""
        by_view = {
            "status": [status.RECOMMENDATIONS],
            "scorecard": [scorecard.FACTS],
            "trends": [trends.RECOMMENDATIONS],
            "places": [places.RECOMMENDATIONS],
        }
        return [t for view in sorted(self.views) for t in by_view[view]]

    def shared_tables(self) -> list[Table]:
        """The tables every process of a split fold (engine/split.py) writes its part
        of: created and committed before the parts are written."""
        return [*self.side.tables(), *self.per_recommendation_tables()]

    def write(self, conn: psycopg.Connection[Any], schema: str) -> None:
        """Write the final rows of every recommendation table of the folded views into
        their empty tables in `schema`, created in `conn`'s open transaction."""
        self.write_part(conn, schema)
        self.finish(conn, schema, [self.counter_inputs()])

    def write_part(
        self, conn: psycopg.Connection[Any], schema: str, *, created: bool = False
    ) -> None:
        """This fold's rows of the side views and of the per-recommendation tables, into
        their tables in `schema` (empty or holding other parts' rows). `created`: the side
        tables exist and are committed (a split fold: each process writes and derives its
        part on its own connection, so both cores do), else they are frozen.

        Each record's fields go to PostgreSQL once, as jsonb in a temporary table, with
        the few values that depend on when something happened as a narrow text row; the
        status view's wide rows are selected from the two by PostgreSQL
        (jsonb_populate_record), and the narrower per-recommendation rows of the
        scorecard, trends and places views from those, in the same statement (_derive):
        encoding 54 columns per row in Python cost several times more. The counters'
        inputs are worked out here meanwhile (counter_inputs())."""
        self.side.write(conn, schema, freeze=not created)
        if not self.views:
            return
        for table in (_FIELDS, _EXTRAS, _WIDE):
            statements = table.create_statements("pg_temp", with_indexes=False, with_key=False)
            for statement in statements:
                conn.execute(statement)
        with contextlib.ExitStack() as own:  # ended before `conn` does anything else
            self._write_fields(own, conn, "pg_temp", _FIELDS, freeze=False)
        self._write_extras(conn)
        # PostgreSQL derives the rows while the counters' inputs are worked out here.
        with ThreadPoolExecutor(1, thread_name_prefix="derive") as pool:
            derived = pool.submit(self._derive, conn, schema)
            self._inputs = counter_inputs(self.records, self.views)
            derived.result()

    def finish(
        self, conn: psycopg.Connection[Any], schema: str, inputs: list[CounterInputs]
    ) -> None:
        """Once every part is written: the counters from the `inputs` of every part."""
        if not self.views:
            return
        for table, rows in counter_totals(inputs, self.views):
            copy_rows(conn, schema, table, rows)

    def _write_fields(
        self,
        stack: contextlib.ExitStack,
        conn: psycopg.Connection[Any],
        schema: str,
        table: Table,
        *,
        freeze: bool,
    ) -> None:
        """The fold's own field dicts, COPYed as they are in binary (building them with
        jsonb_build_object from the status rows costs twice as much as PostgreSQL
        parsing them); the rows are queued and written by a thread."""
        curs = conn.cursor()
        copy = stack.enter_context(
            curs.copy(
                copy_statement(schema, table, binary=True, freeze=freeze),
                writer=QueuedLibpqWriter(curs),
            )
        )
        copy.write(COPY_SIGNATURE)
        items = list(self.records.items())
        for offset in range(0, len(items), 10_000):
            copy.write(
                b"".join(
                    [
                        _STATE_HEAD(2, 16, key) + jsonb(record.fields)
                        for key, record in items[offset : offset + 10_000]
                    ]
                )
            )
        copy.write(COPY_TRAILER)

    def _write_extras(self, conn: psycopg.Connection[Any]) -> None:
        rows = []
        for key, r in self.records.items():
            next_action, due_on = obligation_due(r.fields)
            last_action, last_action_on, last_actor = r.last
            rows.append(
                {
                    "recommendation_id": uuid_text(key),
                    "trends_made_on": r.trends_made_on,
                    "places_made_on": r.places_made_on,
                    "replied_on_time": r.replied_on_time,
                    "place_type": r.place_type,
                    "last_action": last_action,
                    "last_action_on": last_action_on,
                    "last_actor": last_actor,
                    "next_action": next_action,
                    "due_on": due_on,
                    "version": r.version,
                    "closure_reason": r.closure_reason,
                }
            )
        copy_rows(conn, "pg_temp", _EXTRAS, rows, freeze=False)

    def _derive(self, conn: psycopg.Connection[Any], schema: str) -> None:
        """The per-recommendation rows of the status, scorecard, trends and places views
        in one statement: the wide rows from the fields and the extras (computed once,
        in a materialized CTE), each view's rows selected from them. The temporary
        tables are dropped after."""
        terms = [
            SQL(_WIDE_TERMS.get(c, "f.{0}") + " AS {0}").format(Identifier(c))  # type: ignore[arg-type]
            for c in _WIDE.columns
        ]
        extras = [SQL("x.{0}").format(Identifier(c)) for c in _PER_VIEW_EXTRAS]
        source = SQL(
            "WITH src AS MATERIALIZED (SELECT {0} FROM pg_temp.{1} s"
            " JOIN pg_temp.{2} x USING (recommendation_id)"
            " CROSS JOIN LATERAL jsonb_populate_record(NULL::pg_temp.{3}, s.fields) f)"
        ).format(
            SQL(", ").join([*terms, *extras]),
            Identifier(_FIELDS.name),
            Identifier(_EXTRAS.name),
            Identifier(_WIDE.name),
        )
        inserts = [
            SQL("INSERT INTO {0}.{1} ({2}) {3}").format(
                Identifier(schema),
                Identifier(table.name),
                SQL(", ").join(Identifier(c) for c in table.columns),
                SQL(select),  # type: ignore[arg-type]
            )
            for view, (table, select) in _DERIVED.items()
            if view in self.views
        ]
        # Every insert but the last is a CTE of its own: each runs to completion.
        ctes = [SQL(", i{0} AS ({1})").format(SQL(str(n)), i) for n, i in enumerate(inserts[:-1])]  # type: ignore[arg-type]
        conn.execute(SQL("SET LOCAL work_mem = '256MB'"))
        conn.execute(source + SQL("").join(ctes) + SQL(" ") + inserts[-1])
        for scratch in (_FIELDS, _EXTRAS, _WIDE):
            conn.execute(SQL("DROP TABLE pg_temp.{0}").format(Identifier(scratch.name)))

    def counter_inputs(self) -> CounterInputs:
        """What the counters are summed from, for this fold's records (a split fold's
        parts are merged by finish()); worked out by write_part()."""
        return self._inputs


# The status view's row type, for jsonb_populate_record (whether or not the status
# view is built): an empty temporary table.
_WIDE = Table(
    "fold_recommendations", dict(status.RECOMMENDATIONS.columns), key=("recommendation_id",)
)
# The status row's values that are not a field: from a narrow row per recommendation.
_STATUS_EXTRAS: tuple[str, ...] = ("place_type", "last_action", "last_action_on", "last_actor")
_STATUS_EXTRAS += ("next_action", "due_on", "version", "closure_reason")
_EXTRAS = Table(
    "fold_extras",
    {
        "recommendation_id": "uuid",
        "trends_made_on": "date",
        "places_made_on": "date",
        "replied_on_time": "boolean",
        **{c: status.RECOMMENDATIONS.columns[c] for c in _STATUS_EXTRAS},
    },
    key=("recommendation_id",),
)
# The extras no status column holds: the other views' (src's columns after the wide ones).
_PER_VIEW_EXTRAS = ("trends_made_on", "places_made_on", "replied_on_time")
# Each recommendation's fields as jsonb, from which the status rows are selected.
_FIELDS = Table(
    "fold_fields", {"recommendation_id": "uuid", "fields": "jsonb"}, key=("recommendation_id",)
)
# Each status column ({0}) from the fields (f, the default), the extras (x) or both.
_WIDE_TERMS = {
    "recommendation_id": "s.{0}",
    **dict.fromkeys(_STATUS_EXTRAS, "x.{0}"),
    "made_on": "coalesce(f.issued_on, f.drafted_on)",  # status.made_on / year_of
    "year": "extract(year FROM coalesce(f.issued_on, f.drafted_on))::int",
}
# Each view's per-recommendation rows from src (the status view's row and the extras),
# in the view table's column order. Each mirrors its view's handler: scorecard year =
# year of issue, places only for recommendations about a place, whose changed_on is the
# date of the latest action (tests/projections/test_bulk.py compares).
_DERIVED: dict[str, tuple[Table, str]] = {
    "status": (
        status.RECOMMENDATIONS,
        "SELECT " + ", ".join(status.RECOMMENDATIONS.columns) + " FROM src",
    ),
    "scorecard": (
        scorecard.FACTS,
        "SELECT recommendation_id, authority_id, extract(year FROM issued_on)::int,"
        " status, issued_on, reply_due, first_response_on, replied_on_time,"
        " position, implementation, verified FROM src",
    ),
    "trends": (
        trends.RECOMMENDATIONS,
        "SELECT recommendation_id, trends_made_on, status, themes, keywords,"
        " vulnerable_groups, repeats_id FROM src",
    ),
    "places": (
        places.RECOMMENDATIONS,
        "SELECT recommendation_id, place_id, visit_id, kind, text,"
        " places_made_on, status, position, implementation, verified,"
        " last_action_on FROM src WHERE place_id IS NOT NULL",
    ),
}
DERIVED_TABLES = tuple(table for table, _ in _DERIVED.values())
"""Tables a rebuild fills with INSERT ... SELECT rather than COPY."""
assert tuple(scorecard.FACTS.columns)[:3] == ("recommendation_id", "authority_id", "year")
