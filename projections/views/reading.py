"""What the views' read queries share: ids checked as the caller's input, and rows
fetched as dicts.

Each view's questions (its read queries) sit in the view's own module beside its
handlers: plain functions over a psycopg connection and the schema, returning
JSON-friendly dicts, synchronous and index-backed, for the API handlers and the CLI
alike.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed

from domain.errors import InvalidInput


def as_uuid(field: str, value: UUID | str | None) -> UUID | None:
    """The id a caller gave, or InvalidInput naming the field."""
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(field, "{value} is not a UUID", value=repr(value)) from None


def fetch(
    conn: psycopg.Connection[Any],
    query: Composed | SQL,
    params: list[Any] | tuple[Any, ...],
    *,
    prepare: bool | None = None,
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(query, params, prepare=prepare)
        return list(curs.fetchall())
