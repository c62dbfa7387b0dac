"""The rebuild's fast path for recommendation events: decode and interpret each event
once for all six views that follow them, and write their rows at the end.

Live, each view's handler reads its row, calls `changes()` and writes its row back, per
event (projections/views/): about 200 µs an event for four views. Here one `changes()`
call per event updates one in-memory record per recommendation (the field dict the
audit timeline folds on read, projections/views/timeline.py), and when the log is read
every view's per-recommendation rows, and the counters of the scorecard and trends
views, are made from the final records and COPYed as text; the statistics and
register views' few rows are kept by engine/bulk_side.py. Each derived value follows
its handler's rule (noted at each place); tests/projections/test_bulk.py builds a
varied store both ways and compares every table row by row, and the rebuild and replay
tests compare it with the live views. Events of other aggregates (authorities, places,
visits, reports, tasks) are few; they still go through the views' handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from projections.base import Row, Table
from projections.engine.bulk_counters import CounterInputs, counter_inputs, counter_totals
from projections.engine.bulk_side import SIDE_VIEWS, SideFold
from projections.engine.copytext import copy_lines, copy_rows, encoder, uuid_text
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
        their tables in `schema` (empty or holding other parts' rows). `created`: the
        tables exist and are committed (a split fold: each process writes its part on
        its own connection, so both cores do), else they are frozen.

        The rows are COPYed as text straight from the records: each field as the status
        view's handler keeps it. (Before, the fields went to PostgreSQL as jsonb and the
        rows were selected from them with jsonb_populate_record: fewer CPU-seconds of
        Python, but more of PostgreSQL in all, after the fold.)"""
        self.side.write(conn, schema, freeze=not created)
        if not self.views:
            return
        status_lines, scorecard_rows, trends_rows, places_lines = self._rows()
        self._inputs = counter_inputs(scorecard_rows, trends_rows, self.views)
        freeze = not created
        if "status" in self.views:
            copy_lines(conn, schema, status.RECOMMENDATIONS, status_lines, freeze=freeze)
        if "scorecard" in self.views:
            copy_rows(conn, schema, scorecard.FACTS, scorecard_rows, freeze=freeze)
        if "trends" in self.views:
            copy_rows(conn, schema, trends.RECOMMENDATIONS, trends_rows, freeze=freeze)
        if "places" in self.views:
            copy_lines(conn, schema, places.RECOMMENDATIONS, places_lines, freeze=freeze)

    def _rows(self) -> tuple[list[str], list[Row], list[Row], list[str]]:
        """Each record's COPY line of the status and places views and its row of the
        scorecard and trends views (those rows are counted too). Each mirrors its view's
        handler: scorecard year = year of issue, places only for recommendations about a
        place, whose changed_on is the date of the latest action
        (tests/projections/test_bulk.py compares)."""
        status_lines: list[str] = []
        scorecard_rows: list[Row] = []
        trends_rows: list[Row] = []
        places_lines: list[str] = []
        wide = "status" in self.views
        status_line, places_line = _STATUS_LINE, _PLACES_LINE
        for key, r in self.records.items():
            rec_id = uuid_text(key)
            fields = r.fields
            if wide:
                made_on = fields["issued_on"] or fields["drafted_on"]  # status.year_of
                status_lines.append(status_line(fields, r, rec_id, made_on, obligation_due(fields)))
            issued_on = fields["issued_on"]
            scorecard_rows.append(
                {
                    "recommendation_id": rec_id,
                    "authority_id": fields["authority_id"],
                    "year": int(issued_on[:4]) if issued_on else None,
                    "status": fields["status"],
                    "issued_on": issued_on,
                    "reply_due": fields["reply_due"],
                    "first_response_on": fields["first_response_on"],
                    "replied_on_time": r.replied_on_time,
                    "position": fields["position"],
                    "implementation": fields["implementation"],
                    "verified": fields["verified"],
                }
            )
            trends_rows.append(
                {
                    "recommendation_id": rec_id,
                    "made_on": r.trends_made_on,
                    "status": fields["status"],
                    "themes": fields["themes"],
                    "keywords": fields["keywords"],
                    "vulnerable_groups": fields["vulnerable_groups"],
                    "repeats_id": fields["repeats_id"],
                }
            )
            if fields["place_id"] is not None:
                places_lines.append(places_line(fields, r, rec_id))
        return status_lines, scorecard_rows, trends_rows, places_lines

    def finish(
        self, conn: psycopg.Connection[Any], schema: str, inputs: list[CounterInputs]
    ) -> None:
        """Once every part is written: the counters from the `inputs` of every part."""
        if not self.views:
            return
        for table, rows in counter_totals(inputs, self.views):
            copy_rows(conn, schema, table, rows)

    def counter_inputs(self) -> CounterInputs:
        """What the counters are summed from, for this fold's records (a split fold's
        parts are merged by finish()); worked out by write_part()."""
        return self._inputs


# A status row's columns that are not a field (the rest: f.get(column)), over
# (f: fields, r: _Record, rid: id text, m: made_on, due: obligation_due(f)).
_STATUS_TERMS = {
    "recommendation_id": "rid",
    "place_type": "r.place_type",
    "made_on": "m",
    "year": "(int(m[:4]) if m else None)",
    "last_action": "r.last[0]",
    "last_action_on": "r.last[1]",
    "last_actor": "r.last[2]",
    "next_action": "due[0]",
    "due_on": "due[1]",
    "version": "r.version",
    "closure_reason": "r.closure_reason",
}
_STATUS_LINE = encoder(
    status.RECOMMENDATIONS,
    arguments="f, r, rid, m, due",
    terms={c: _STATUS_TERMS.get(c, f'f.get("{c}")') for c in status.RECOMMENDATIONS.columns},
)
# places: dated by drafting or issue, changed_on the latest action's date.
_PLACES_TERMS = {
    "recommendation_id": "rid",
    "made_on": "r.places_made_on",
    "changed_on": "r.last[1]",
}
_PLACES_LINE = encoder(
    places.RECOMMENDATIONS,
    arguments="f, r, rid",
    terms={c: _PLACES_TERMS.get(c, f'f.get("{c}")') for c in places.RECOMMENDATIONS.columns},
)
