"""The rows of a list, every one of them, for an export: what the list's pages show
(the status view narrowed by the same ListFilters, in the same order), one row per
response the authority sent (the register view keeps the responses' published data;
the status view only counts them), the rows of one recommendation next to each other
and its responses in the order they came, as the import joins them by external id. A
recommendation with no response is one row.

Read through a server-side cursor, a batch of rows at a time, so that exporting 150,000
recommendations holds one batch in memory, not the whole list; only the fields the
export's columns read, as tuples (parsing fifty columns into a dict per row was most of
an export's time).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import psycopg
from psycopg.sql import SQL, Composable, Composed, Identifier

from projections.views.status import RECOMMENDATIONS as STATUS
from projections.views.status import ListFilters

BATCH = 2000

JOINED: dict[str, str] = {
    "authority_name": "a.name",
    "place_name": "p.name",
    # the row's response (the register view keeps the responses' published data)
    "reply_received_on": "(s.reply ->> 'received_on')::date",
    "reply_position": "s.reply ->> 'position'",
    "reply_text": "s.reply ->> 'text'",
    "reply_agreed_implementation_date": "(s.reply ->> 'agreed_implementation_date')::date",
    # whether the row is its recommendation's last (the one after its last response)
    "record_ends": "(s.n IS NULL OR s.n = jsonb_array_length(g.responses))",
    # the closure while closed: its day (the status view's ended_on, which only a
    # closure or a withdrawal sets) and the reason given with it
    "closed_on": "CASE WHEN r.status = 'closed' THEN r.ended_on END",
    "closure_reason": "CASE WHEN r.status = 'closed' THEN r.closure_reason END",
}
"""What an export row may hold besides the status view's own columns."""


def _select(fields: Sequence[str]) -> Composable:
    chosen: list[Composable] = []
    for name in fields:
        if name in JOINED:
            chosen.append(SQL(JOINED[name] + " AS {0}").format(Identifier(name)))  # type: ignore[arg-type]
        elif name in STATUS.columns:
            chosen.append(SQL("r.{0}").format(Identifier(name)))
        else:
            raise ValueError(f"an export row has no field {name!r}")
    return SQL(", ").join(chosen)


def _query(
    schema: str, fields: Sequence[str], filters: ListFilters, today: date
) -> tuple[Composed, list[Any]]:
    condition, params = filters.where(today)
    source = SQL(
        "SELECT {1}"
        " FROM {0}.status_recommendations r"
        " LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id"
        " LEFT JOIN {0}.status_places p ON p.place_id = r.place_id"
        " LEFT JOIN {0}.register_recommendations g ON g.recommendation_id = r.recommendation_id"
        " LEFT JOIN LATERAL jsonb_array_elements(g.responses) WITH ORDINALITY AS s(reply, n)"
        " ON true"
    ).format(Identifier(schema), _select(fields))
    # a recommendation's rows together, its responses in the order they came
    return source + condition + filters.order() + SQL(", s.n"), params


def count_rows(
    conn: psycopg.Connection[Any], schema: str, filters: ListFilters, today: date
) -> int:
    """How many rows the export of this list will hold (for a progress bar): one per
    response, at least one per recommendation."""
    condition, params = filters.where(today)
    query = (
        SQL(
            "SELECT coalesce(sum(greatest(1, jsonb_array_length(g.responses))), 0)"
            " FROM {0}.status_recommendations r LEFT JOIN {0}.register_recommendations g"
            " ON g.recommendation_id = r.recommendation_id"
        ).format(Identifier(schema))
        + condition
    )
    found = conn.execute(query, params, prepare=False).fetchone()
    return int(found[0]) if found else 0


def iter_rows(
    conn: psycopg.Connection[Any],
    schema: str,
    fields: Sequence[str],
    filters: ListFilters,
    today: date,
    *,
    batch: int = BATCH,
) -> Iterator[tuple[Any, ...]]:
    """Every row of the list, in the list's order, as a tuple of `fields` (status view
    columns, or JOINED's names)."""
    query, params = _query(schema, fields, filters, today)
    # A named cursor lives in a transaction; the read pool's connections autocommit.
    with conn.transaction(), conn.cursor(name="rectrack_export") as cursor:
        cursor.itersize = batch
        cursor.execute(query, params)
        while rows := cursor.fetchmany(batch):
            yield from rows
