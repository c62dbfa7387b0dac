"""The rows of a list, every one of them, for an export: what the list's pages show
(the status view narrowed by the same ListFilters, in the same order) plus the last
response the authority sent (the register view keeps the responses' published data;
the status view only counts them).

Read through a server-side cursor, a few hundred rows at a time, so that exporting
150,000 recommendations holds one batch in memory, not the whole list.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from projections.views.status import ListFilters

BATCH = 500


def _query(schema: str, filters: ListFilters, today: date) -> tuple[Any, list[Any]]:
    condition, params = filters.where(today)
    source = SQL(
        "SELECT r.*, a.name AS authority_name, p.name AS place_name,"
        " g.responses -> -1 AS last_response"
        " FROM {0}.status_recommendations r"
        " LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id"
        " LEFT JOIN {0}.status_places p ON p.place_id = r.place_id"
        " LEFT JOIN {0}.register_recommendations g ON g.recommendation_id = r.recommendation_id"
    ).format(Identifier(schema))
    return source + condition + filters.order(), params


def count_rows(
    conn: psycopg.Connection[Any], schema: str, filters: ListFilters, today: date
) -> int:
    """How many rows the export of this list will hold (for a progress bar)."""
    condition, params = filters.where(today)
    query = (
        SQL("SELECT count(*) FROM {0}.status_recommendations r").format(Identifier(schema))
        + condition
    )
    found = conn.execute(query, params, prepare=False).fetchone()
    return int(found[0]) if found else 0


def iter_rows(
    conn: psycopg.Connection[Any],
    schema: str,
    filters: ListFilters,
    today: date,
    *,
    batch: int = BATCH,
) -> Iterator[dict[str, Any]]:
    """Every row of the list, in the list's order, with `authority_name`, `place_name`
    and `last_response` (the last response's published data: received_on, position,
    text, agreed_implementation_date; None when no response came)."""
    query, params = _query(schema, filters, today)
    # A named cursor lives in a transaction; the read pool's connections autocommit.
    with (
        conn.transaction(),
        conn.cursor(name="rectrack_export", row_factory=dict_row) as cursor,
    ):
        cursor.itersize = batch
        cursor.execute(query, params)
        yield from cursor
