"""The counters of the scorecard and trends views in a rebuild's fold (engine/bulk.py):
summed from every recommendation's final contribution, which is what the handlers'
per-event moves end at. Apart from the fold because a split fold (engine/split.py)
computes each part's inputs in its own process and sums them in the build's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from projections.base import Row, Table
from projections.engine.copytext import uuid_text
from projections.views import scorecard, trends

CounterInputs = tuple[list[Row] | None, dict[tuple[str, str, str, str], int] | None]
"""One part's scorecard rows and trends cells counted (None: view not built)."""


def counter_inputs(records: Mapping[bytes, Any], views: frozenset[str]) -> CounterInputs:
    """The inputs of the counters of `views` from the fold's records (16-byte ids)."""
    named = [(uuid_text(k), r) for k, r in records.items()]
    scorecard_rows = None
    if "scorecard" in views:
        scorecard_rows = [_scorecard_row(k, r) for k, r in named]
    counts: dict[tuple[str, str, str, str], int] | None = None
    if "trends" in views:
        counts = {}
        for k, r in named:
            for cell in trends.contribution(_trends_row(k, r)):
                counts[cell] = counts.get(cell, 0) + 1
    return scorecard_rows, counts


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


def _scorecard_row(rec_id: str, record: Any) -> Row:
    fields = record.fields
    issued_on = fields["issued_on"]
    return {
        "recommendation_id": rec_id,
        "authority_id": fields["authority_id"],
        "year": int(issued_on[:4]) if issued_on else None,
        "status": fields["status"],
        "issued_on": issued_on,
        "reply_due": fields["reply_due"],
        "first_response_on": fields["first_response_on"],
        "replied_on_time": record.replied_on_time,
        "position": fields["position"],
        "implementation": fields["implementation"],
        "verified": fields["verified"],
    }


def _trends_row(rec_id: str, record: Any) -> Row:
    fields = record.fields
    return {
        "recommendation_id": rec_id,
        "made_on": record.trends_made_on,
        "status": fields["status"],
        "themes": fields["themes"],
        "keywords": fields["keywords"],
        "vulnerable_groups": fields["vulnerable_groups"],
        "repeats_id": fields["repeats_id"],
    }
