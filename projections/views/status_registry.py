"""The registry's lists read from the status view (services/api/routers/registry.py):
every authority and report with how many recommendations name it, every place of
detention with its authority's name."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from projections.base import Table
from projections.views.reading import as_uuid, fetch
from projections.views.status import AUTHORITIES, RECOMMENDATIONS, REPORTS


def _counted(
    conn: psycopg.Connection[Any], schema: str, table: Table, order: str
) -> list[dict[str, Any]]:
    """Every row of `table` (authorities, reports), ordered by `order` then key, with how
    many recommendations name it (by the key column, of the same name in both)."""
    (key,) = table.key
    columns = SQL(", ").join(Identifier("e", c) for c in table.columns)
    return fetch(
        conn,
        SQL(
            "SELECT {0}, count(r.recommendation_id) AS recommendations FROM {1}.{2} e "
            "LEFT JOIN {1}.{3} r ON r.{4} = e.{4} GROUP BY {0} ORDER BY e.{5}, e.{4}"
        ).format(
            columns,
            Identifier(schema),
            Identifier(table.name),
            Identifier(RECOMMENDATIONS.name),
            Identifier(key),
            Identifier(order),
        ),
        [],
    )


def list_authorities(conn: psycopg.Connection[Any], schema: str) -> list[dict[str, Any]]:
    """Every authority by name, with how many recommendations are addressed to it."""
    return _counted(conn, schema, AUTHORITIES, "name")


def list_places(
    conn: psycopg.Connection[Any], schema: str, *, authority_id: UUID | str | None = None
) -> list[dict[str, Any]]:
    """Every place of detention by name, optionally only those one authority answers for."""
    condition = SQL("")
    params: list[Any] = []
    if authority_id is not None:
        condition = SQL(" WHERE p.authority_id = %s")
        params.append(as_uuid("authority_id", authority_id))
    return fetch(
        conn,
        SQL(
            "SELECT p.place_id, p.name, p.place_type, p.authority_id, "
            "a.name AS authority_name FROM {0}.status_places p "
            "LEFT JOIN {0}.status_authorities a ON a.authority_id = p.authority_id"
        ).format(Identifier(schema))
        + condition
        + SQL(" ORDER BY p.name, p.place_id"),
        params,
    )


def list_reports(conn: psycopg.Connection[Any], schema: str) -> list[dict[str, Any]]:
    """Every report by title, with how many recommendations it carries."""
    return _counted(conn, schema, REPORTS, "title")
