"""Theme trends: how many recommendations per theme, keyword and vulnerable group, per
year and quarter (of the date the recommendation was made), by current status; and the
chains of recommendations that repeat an earlier one.

Counts are kept as counters: each recommendation contributes one count to a set of
(period, dimension, value, status) cells, and an event that changes its tags, status or
date moves its contribution from the old cells to the new ones. So a trends query reads
a few hundred small rows instead of unnesting every recommendation's tags."""

from __future__ import annotations

from typing import Any, ClassVar

from projections.base import Row, Rows, Table, View, ViewProjection, ViewRecorder, on
from projections.facts import Fact
from projections.recommendation_fields import INITIAL, LABELS, changes

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
)

DIMENSIONS = (("theme", "themes"), ("keyword", "keywords"), ("group", "vulnerable_groups"))
_FIELDS = ("status", "themes", "keywords", "vulnerable_groups", "repeats_id")


def contribution(row: Row) -> list[tuple[str, str, str, str]]:
    made_on = row["made_on"]
    if not made_on or not row["status"]:
        return []
    year = made_on[:4]
    quarter = f"{year}-Q{(int(made_on[5:7]) - 1) // 3 + 1}"
    cells = []
    for dimension, column in DIMENSIONS:
        for value in row[column]:
            cells.append((year, dimension, value, row["status"]))
            cells.append((quarter, dimension, value, row["status"]))
    return cells


class TrendsView(View):
    name = "trends"
    tables: ClassVar[tuple[Table, ...]] = (RECOMMENDATIONS, COUNTS)

    @on(*(f"Recommendation.{name}" for name in LABELS))
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
        if made_on is None and not any(f in update for f in _FIELDS):
            return
        before = contribution(row)
        for kept in _FIELDS:
            if kept in update:
                row[kept] = update[kept]
        if made_on is not None:
            row["made_on"] = made_on
        after = contribution(row)
        if before != after:
            self._count(rows, before, -1)
            self._count(rows, after, +1)
        rows.put(RECOMMENDATIONS, row)

    @staticmethod
    def _count(rows: Rows, cells: list[tuple[str, str, str, str]], delta: int) -> None:
        for cell in cells:
            counter = rows.get(COUNTS, cell)
            if counter is None:
                period, dimension, value, status = cell
                counter = {
                    "period": period,
                    "dimension": dimension,
                    "value": value,
                    "status": status,
                    "n": 0,
                }
            counter["n"] += delta
            if counter["n"] == 0:
                rows.delete(COUNTS, cell)
            else:
                rows.put(COUNTS, counter)


class TrendsRecorder(ViewRecorder):
    view = TrendsView()


class TrendsProjection(ViewProjection):
    name = "trends"
