"""Theme trends: how many recommendations per theme, keyword and vulnerable group, per
year and quarter (of the date the recommendation was made), by current status; and the
chains of recommendations that repeat an earlier one.

Counts are kept as counters: each recommendation contributes one count to a set of
(period, dimension, value, status) cells, and an event that changes its tags, status or
date moves its contribution from the old cells to the new ones. So a trends query reads
a few hundred small rows instead of unnesting every recommendation's tags. The queries
are `theme_trends` and `repeat_chains`."""

from __future__ import annotations

from typing import Any, ClassVar

import psycopg
from psycopg.sql import SQL, Composable, Identifier

from domain.errors import InvalidInput
from projections.base import Row, Rows, Table, View, on
from projections.facts import Fact
from projections.views.reading import fetch
from projections.views.recommendation_fields import INITIAL, LABELS, changes

RECOMMENDATIONS = Table(
    "trends_recommendations",
    {
        "recommendation_id": "uuid",
        "made_on": "date",
        "status": "text",
        "themes": "text[]",
        "keywords": "text[]",
        "vulnerable_groups": "text[]",
        "repeats_id": "uuid",
    },
    key=("recommendation_id",),
    indexes=("(repeats_id) WHERE repeats_id IS NOT NULL",),
)
COUNTS = Table(
    "trends_counts",
    {"period": "text", "dimension": "text", "value": "text", "status": "text", "n": "int"},
    key=("period", "dimension", "value", "status"),
    small=True,
)

DIMENSIONS = (("theme", "themes"), ("keyword", "keywords"), ("group", "vulnerable_groups"))
_FIELDS = ("status", "themes", "keywords", "vulnerable_groups", "repeats_id")

Cell = tuple[str, str, str, str]
"""(period, dimension, value, status): one counter."""


def contribution(row: Row) -> list[Cell]:
    made_on = row["made_on"]
    if not made_on or not row["status"]:
        return []
    year = made_on[:4]
    quarter = f"{year}-Q{(int(made_on[5:7]) - 1) // 3 + 1}"
    cells: list[Cell] = []
    for dimension, column in DIMENSIONS:
        for value in row[column]:
            cells.append((year, dimension, value, row["status"]))
            cells.append((quarter, dimension, value, row["status"]))
    return cells


class TrendsView(View):
    name = "trends"
    tables: ClassVar[tuple[Table, ...]] = (RECOMMENDATIONS, COUNTS)

    @on(*LABELS)
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        row = rows.get(RECOMMENDATIONS, rec_id)
        if row is None:
            row = {
                "recommendation_id": rec_id,
                "made_on": None,
                "status": None,
                "themes": [],
                "keywords": [],
                "vulnerable_groups": [],
                "repeats_id": None,
            }
        update: dict[str, Any] = changes({**INITIAL, **row}, fact)
        made_on = update.get("issued_on") or (
            update.get("drafted_on") if row["made_on"] is None else None
        )
        if made_on is None and update.keys().isdisjoint(_FIELDS):
            return
        before = contribution(row)
        for kept in _FIELDS:
            if kept in update:
                row[kept] = update[kept]
        if made_on is not None:
            row["made_on"] = made_on
        after = contribution(row)
        if before != after:
            self._move(rows, before, after)
        rows.put(RECOMMENDATIONS, row)

    @staticmethod
    def _move(rows: Rows, before: list[Cell], after: list[Cell]) -> None:
        # Net per cell: a cell in both (a tag kept by a TagsChanged) is not touched, and
        # each counter moved is read and written once.
        deltas: dict[Cell, int] = dict.fromkeys(before, 0)
        for cell in before:
            deltas[cell] -= 1
        for cell in after:
            deltas[cell] = deltas.get(cell, 0) + 1
        for cell, delta in deltas.items():
            if not delta:
                continue
            counter = rows.get(COUNTS, cell)
            if counter is None:
                period, dimension, value, status = cell
                counter = {
                    "period": period,
                    "dimension": dimension,
                    "value": value,
                    "status": status,
                    "n": delta,
                }
            else:
                counter["n"] += delta
            if counter["n"] == 0:
                rows.delete(COUNTS, cell)
            else:
                rows.put(COUNTS, counter)


# --- queries ---------------------------------------------------------------------------


def theme_trends(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    year: int | None = None,
    dimension: str | None = None,
) -> dict[str, Any]:
    """Counts per period ("2025" and "2025-Q1".."2025-Q4"), dimension (theme, keyword,
    group), value and current status; and the chains of repeated recommendations."""
    if dimension is not None and dimension not in ("theme", "keyword", "group"):
        raise InvalidInput("dimension", "must be one of theme, keyword, group")
    where: list[Composable] = []
    params: list[Any] = []
    if year is not None:
        where.append(SQL("(period = %s OR period LIKE %s)"))
        params.extend([str(year), f"{year}-Q%"])
    if dimension is not None:
        where.append(SQL("dimension = %s"))
        params.append(dimension)
    condition = SQL(" WHERE ") + SQL(" AND ").join(where) if where else SQL("")
    counts = fetch(
        conn,
        SQL("SELECT period, dimension, value, status, n FROM {0}.trends_counts").format(
            Identifier(schema)
        )
        + condition
        + SQL(" ORDER BY period, dimension, value, status"),
        params,
    )
    return {"counts": counts, "repeat_chains": repeat_chains(conn, schema)}


def repeat_chains(
    conn: psycopg.Connection[Any], schema: str, *, limit: int = 100
) -> list[dict[str, Any]]:
    """Chains of recommendations that repeat an earlier one, longest first: the first
    recommendation, how often the problem was raised again, and every member in order."""
    return fetch(
        conn,
        SQL(
            "WITH RECURSIVE roots AS ("
            " SELECT DISTINCT c.repeats_id AS root FROM {0}.trends_recommendations c"
            " JOIN {0}.trends_recommendations r ON r.recommendation_id = c.repeats_id"
            " WHERE c.repeats_id IS NOT NULL AND r.repeats_id IS NULL),"
            " chain(root, member, depth) AS ("
            " SELECT root, root, 0 FROM roots"
            " UNION ALL SELECT chain.root, c.recommendation_id, chain.depth + 1"
            " FROM chain JOIN {0}.trends_recommendations c ON c.repeats_id = chain.member"
            " WHERE chain.depth < 100)"
            " SELECT chain.root AS first_id, count(*) - 1 AS times_raised_again,"
            " array_agg(chain.member::text ORDER BY chain.depth, chain.member) AS members,"
            " min(t.themes) AS themes"
            " FROM chain JOIN {0}.trends_recommendations t ON t.recommendation_id = chain.root"
            " GROUP BY chain.root ORDER BY 2 DESC, 1 LIMIT %s"
        ).format(Identifier(schema)),
        [limit],
    )
