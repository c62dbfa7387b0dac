"""The counters of the scorecard and trends views in a rebuild's fold (engine/bulk.py):
summed from every recommendation's final contribution, which is what the handlers'
per-event moves end at. Apart from the fold because a split fold (engine/split.py)
computes each part's inputs in its own process and sums them in the build's."""

from __future__ import annotations

from projections.base import Row, Table
from projections.views import scorecard, trends

CounterInputs = tuple[list[Row] | None, dict[tuple[str, str, str, str], int] | None]
"""One part's scorecard rows and trends cells counted (None: view not built)."""


def counter_inputs(
    scorecard_rows: list[Row], trends_rows: list[Row], views: frozenset[str]
) -> CounterInputs:
    """The inputs of the counters of `views` from the fold's scorecard and trends rows
    (engine/bulk.py, a row per recommendation each)."""
    counts: dict[tuple[str, str, str, str], int] | None = None
    if "trends" in views:
        counts = {}
        for row in trends_rows:
            for cell in trends.contribution(row):
                counts[cell] = counts.get(cell, 0) + 1
    return (scorecard_rows if "scorecard" in views else None), counts


def counter_totals(
    inputs: list[CounterInputs], views: frozenset[str]
) -> list[tuple[Table, list[Row]]]:
    """The counters' rows from every part's inputs."""
    counters: list[tuple[Table, list[Row]]] = []
    if "scorecard" in views:
        totals, reply_days = scorecard.aggregate(
            [row for scorecard_rows, _ in inputs for row in scorecard_rows or ()]
        )
        counters += [(scorecard.TOTALS, totals), (scorecard.REPLY_DAYS, reply_days)]
    if "trends" in views:
        counts: dict[tuple[str, str, str, str], int] = {}
        for _, part in inputs:
            for cell, n in (part or {}).items():
                counts[cell] = counts.get(cell, 0) + n
        rows: list[Row] = [
            {"period": p, "dimension": d, "value": v, "status": s, "n": n}
            for (p, d, v, s), n in counts.items()
        ]
        counters.append((trends.COUNTS, rows))
    return counters
