"""Authority scorecard: per authority and year of issue, how the authority answered.

Its figures are the statistics' (projections/views/statistics.py), one definition each:
issued, replied on time (`replied_on_time`, a reply with no due date counting as on
time), the median days to the first reply, and the acceptance rate (accepted or
partially, of those with a position); tests/projections/test_scorecard_definitions.py
recomputes them with /stats/figures. Its own, not in the statistics: replied (on time or
late), implemented and verified, and overdue for a reply now.

The view keeps one narrow row of scorecard facts per recommendation, and from those rows
two small aggregates, kept as counters like the trends view's: per (authority, year) the
totals (issued, replied, replied on time, accepted, implemented and verified), and per
(authority, year, days) how many first replies came that many days after issue. A
median is not a counter, but it is read off that histogram (a few dozen rows per
authority and year), so the scorecard query (`authority_scorecard`) reads a few hundred
rows, not every recommendation of the year. "Overdue now" depends on today, so it is
counted on read from the per-recommendation rows still awaiting a reply, through a
partial index.

Every event moves a recommendation's contribution from the old counters to the new
ones; a rebuild sums the final contributions instead (projections/engine/bulk.py), which
gives the same counters.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from projections.base import Row, Rows, Table, View, on
from projections.events import Authority, Recommendation
from projections.facts import Fact
from projections.views.figures import ACCEPTING, percent, replied_on_time
from projections.views.reading import as_uuid, fetch
from projections.views.recommendation_fields import INITIAL, LABELS, changes

FACTS = Table(
    "scorecard_recommendations",
    {
        "recommendation_id": "uuid",
        "authority_id": "uuid",
        "year": "int",
        "status": "text",
        "issued_on": "date",
        "reply_due": "date",
        "first_response_on": "date",
        "replied_on_time": "boolean",
        "position": "text",
        "implementation": "text",
        "verified": "boolean",
    },
    key=("recommendation_id",),
    # The one query on these rows (authority_scorecard's overdue count) reads issued
    # recommendations by year: the partial index is all it needs.
    indexes=("(year, authority_id, reply_due) WHERE status = 'issued'",),
)
TOTALS = Table(
    "scorecard_totals",
    {
        "authority_id": "uuid",
        "year": "int",
        "issued": "int",
        "replied": "int",
        "replied_on_time": "int",
        "accepted": "int",
        "positioned": "int",
        "implemented_verified": "int",
    },
    key=("authority_id", "year"),
    indexes=("(year)",),
    small=True,
)
REPLY_DAYS = Table(
    "scorecard_reply_days",
    {"authority_id": "uuid", "year": "int", "days": "int", "n": "int"},
    key=("authority_id", "year", "days"),
    indexes=("(year, authority_id, days) INCLUDE (n)",),
)
COUNTERS = (
    "issued",
    "replied",
    "replied_on_time",
    "accepted",
    "positioned",
    "implemented_verified",
)

Contribution = tuple[tuple[str, int], tuple[int, ...], int | None]
"""(authority_id, year), one 0/1 per COUNTERS, and days to the first reply (or None)."""


def contribution(row: Row) -> Contribution | None:
    """What one recommendation adds to the aggregates: nothing until it is issued."""
    year, authority_id = row["year"], row["authority_id"]
    if year is None or authority_id is None:
        return None
    first, issued_on = row["first_response_on"], row["issued_on"]
    replied = first is not None
    counts = (
        1,
        int(replied),
        int(replied_on_time(first, row["reply_due"])),
        int(row["position"] in ACCEPTING),
        int(row["position"] is not None),
        int(row["implementation"] == "implemented" and bool(row["verified"])),
    )
    days = (
        (date.fromisoformat(first) - date.fromisoformat(issued_on)).days
        if replied and issued_on is not None
        else None
    )
    return (authority_id, year), counts, days


def add_contribution(rows: Rows, share: Contribution, sign: int) -> None:
    key, counts, days = share
    totals = rows.get(TOTALS, key)
    if totals is None:
        totals = {"authority_id": key[0], "year": key[1], **dict.fromkeys(COUNTERS, 0)}
    for name, count in zip(COUNTERS, counts, strict=True):
        totals[name] += sign * count
    if totals["issued"] == 0:
        rows.delete(TOTALS, key)
    else:
        rows.put(TOTALS, totals)
    if days is not None:
        cell = (key[0], key[1], days)
        bucket = rows.get(REPLY_DAYS, cell)
        if bucket is None:
            bucket = {"authority_id": key[0], "year": key[1], "days": days, "n": 0}
        bucket["n"] += sign
        if bucket["n"] == 0:
            rows.delete(REPLY_DAYS, cell)
        else:
            rows.put(REPLY_DAYS, bucket)


def aggregate(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """TOTALS and REPLY_DAYS rows for these final per-recommendation rows: the sum of
    their contributions, i.e. what the per-event counters end at."""
    totals: dict[tuple[str, int], list[int]] = {}
    days: dict[tuple[str, int, int], int] = {}
    for row in rows:
        share = contribution(row)
        if share is None:
            continue
        key, counts, waited = share
        sums = totals.get(key)
        if sums is None:
            totals[key] = list(counts)
        else:
            for i, count in enumerate(counts):
                sums[i] += count
        if waited is not None:
            cell = (key[0], key[1], waited)
            days[cell] = days.get(cell, 0) + 1
    total_rows: list[Row] = [
        {"authority_id": k[0], "year": k[1], **dict(zip(COUNTERS, v, strict=True))}
        for k, v in totals.items()
    ]
    day_rows: list[Row] = [
        {"authority_id": k[0], "year": k[1], "days": k[2], "n": n} for k, n in days.items()
    ]
    return total_rows, day_rows


AUTHORITIES = Table(
    "scorecard_authorities", {"authority_id": "uuid", "name": "text"}, key=("authority_id",)
)

_KEPT = ("status", "issued_on", "reply_due", "first_response_on", "position", "implementation")


class ScorecardView(View):
    name = "scorecard"
    tables: ClassVar[tuple[Table, ...]] = (FACTS, TOTALS, REPLY_DAYS, AUTHORITIES)

    @on(*LABELS)
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        row = rows.get(FACTS, rec_id)
        before: Contribution | None = None
        if row is None:
            row = {
                "recommendation_id": rec_id,
                "authority_id": None,
                "year": None,
                "replied_on_time": None,
                "verified": False,
            }
            for kept in _KEPT:
                row[kept] = INITIAL[kept]
        else:
            before = contribution(row)
        # changes() reads a few counters this view does not keep; they never matter here.
        state = {**INITIAL, **row}
        update = changes(state, fact)
        if not update:
            return
        if fact.is_a(Recommendation.Drafted):
            row["authority_id"] = update["authority_id"]
        for kept in _KEPT:
            if kept in update:
                row[kept] = update[kept]
        if "verified" in update:
            row["verified"] = update["verified"]
        if "first_response_on" in update and row["reply_due"] is not None:
            row["replied_on_time"] = update["first_response_on"] <= row["reply_due"]
        row["year"] = int(row["issued_on"][:4]) if row["issued_on"] else None
        rows.put(FACTS, row)
        after = contribution(row)
        if before != after:
            if before is not None:
                add_contribution(rows, before, -1)
            if after is not None:
                add_contribution(rows, after, +1)

    @on(Authority.Registered, Authority.Renamed)
    def authority_named(self, fact: Fact, rows: Rows) -> None:
        rows.put(AUTHORITIES, AUTHORITIES.row_of(fact))


# --- queries ---------------------------------------------------------------------------


def authority_scorecard(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    year: int | None = None,
    today: date | None = None,
    authority_id: UUID | str | None = None,
) -> list[dict[str, Any]]:
    """Per authority and year of issue: issued, replied, replied on time (% of issued),
    median days to the first reply, accepted or partially (the acceptance rate: % of
    those with a position), implemented and verified (% of issued), and how many are
    overdue for a reply now.

    Reads the view's aggregates: one totals row and a histogram of days to reply per
    authority and year; the median is read off the histogram (the mean of the two middle
    values when the count is even, as percentile_cont(0.5) gives). Only "overdue now" is
    counted from the recommendations, those still awaiting a reply, through a partial
    index. With `authority_id`: that authority's rows only."""
    today = today or date.today()
    s = Identifier(schema)
    condition = SQL("{0} = %s") if year is not None else SQL("{0} IS NOT NULL")
    rows = fetch(
        conn,
        SQL(
            "WITH h AS ("
            " SELECT authority_id, year, days,"
            "  sum(n) OVER w - n AS before, sum(n) OVER w AS upto,"
            "  sum(n) OVER (PARTITION BY authority_id, year) AS total"
            " FROM {0}.scorecard_reply_days WHERE {1}"
            " WINDOW w AS (PARTITION BY authority_id, year ORDER BY days)),"
            " medians AS ("
            " SELECT authority_id, year, ((min(days) FILTER (WHERE before <= (total - 1) / 2"
            "  AND (total - 1) / 2 < upto) + min(days) FILTER (WHERE before <= total / 2"
            "  AND total / 2 < upto)) / 2.0)::float8 AS median"
            " FROM h GROUP BY authority_id, year),"
            " overdue AS ("
            " SELECT authority_id, year, count(*) AS n FROM {0}.scorecard_recommendations"
            " WHERE status = 'issued' AND reply_due < %s AND {2}"
            " GROUP BY authority_id, year)"
            " SELECT t.authority_id, a.name AS authority_name, t.year, t.issued, t.replied,"
            " t.replied_on_time, m.median AS median_days_to_reply, t.accepted, t.positioned,"
            " t.implemented_verified, coalesce(o.n, 0) AS overdue_now"
            " FROM {0}.scorecard_totals t"
            " LEFT JOIN {0}.scorecard_authorities a ON a.authority_id = t.authority_id"
            " LEFT JOIN medians m ON m.authority_id = t.authority_id AND m.year = t.year"
            " LEFT JOIN overdue o ON o.authority_id = t.authority_id AND o.year = t.year"
            " WHERE {3}{4} ORDER BY a.name, t.year"
        ).format(
            s,
            condition.format(Identifier("year")),
            condition.format(Identifier("year")),
            condition.format(SQL("t.year")),
            SQL(" AND t.authority_id = %s") if authority_id is not None else SQL(""),
        ),
        ([year, today, year, year] if year is not None else [today])
        + ([as_uuid("authority_id", authority_id)] if authority_id is not None else []),
    )
    for row in rows:
        row["replied_on_time_pct"] = percent(row["replied_on_time"], row["issued"])
        row["acceptance_rate"] = percent(row["accepted"], row["positioned"])
        row["implemented_verified_pct"] = percent(row["implemented_verified"], row["issued"])
    return rows
