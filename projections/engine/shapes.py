"""Which views' tables no longer have the shape the code defines, so that the live
projector rebuilds them before running them instead of failing on a missing column.

A view's shape is the digest of its `Table` definitions (projections/base.py): names,
columns and types in order, keys and indexes. It is recorded when the view's tables are
built: by a rebuild's swap, in the swap's transaction (engine/rebuild.py), and when
`ensure_live_tables` creates them from nothing. Tables that were already there (a
database from before digests, or one where a view gained a table) get no digest there,
so they count as changed until rebuilt.

The digests live in a table of their own, `view_shapes(view, digest, recorded_at)`, in
the views' schema, not in COMMENT ON the tracking table: a comment belongs to the
table's owner alone, is not transactional with the swap's table moves in an obvious
way to readers, and cannot be read for all views in one query; a row is written in the
same transaction as the swap, read by `projections status` in one statement, and the
runtime role that owns the views owns it too.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from psycopg.sql import SQL, Identifier

from projections.base import View
from projections.engine.registry import RETIRED_TABLES

SHAPES_TABLE = "view_shapes"


def shape_digest(view: View) -> str:
    """The digest of a view's table definitions: changes with any name, column, type,
    key or index, and with nothing else (not `small`, `by_aggregate` or handlers)."""
    shape = [
        [table.name, list(table.columns.items()), list(table.key), list(table.indexes)]
        for table in view.tables
    ]
    encoded = json.dumps(shape, separators=(",", ":")).encode()
    return hashlib.sha256(encoded).hexdigest()[:32]


def _scalar(row: Any) -> Any:
    """The first value of a row from either kind of connection (the library's give
    dicts)."""
    if row is None:
        return None
    return next(iter(row.values())) if isinstance(row, dict) else row[0]


def create_table(conn: Any, schema: str) -> None:
    conn.execute(
        SQL(
            "CREATE TABLE IF NOT EXISTS {0}.{1} (view text PRIMARY KEY, digest text NOT NULL, "
            "recorded_at timestamptz NOT NULL DEFAULT now())"
        ).format(Identifier(schema), Identifier(SHAPES_TABLE))
    )


def existing_tables(conn: Any, schema: str) -> set[str]:
    return {
        _scalar(row)
        for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,),
        )
    }


def view_table_names(view: View) -> set[str]:
    return {table.name for table in view.tables} | {view.tracking_table()}


def record(conn: Any, schema: str, views: list[View], *, replace: bool = True) -> None:
    """Record these views' code shapes as their tables' (in the caller's transaction).
    `replace=False` keeps a digest already there."""
    conflict = "DO UPDATE SET digest = EXCLUDED.digest, recorded_at = now()"
    statement = SQL(
        "INSERT INTO {0}.{1} (view, digest) VALUES (%s, %s) ON CONFLICT (view) " + conflict
        if replace
        else "INSERT INTO {0}.{1} (view, digest) VALUES (%s, %s) ON CONFLICT (view) DO NOTHING"
    ).format(Identifier(schema), Identifier(SHAPES_TABLE))
    for view in views:
        conn.execute(statement, (view.name, shape_digest(view)))


def recorded(conn: Any, schema: str) -> dict[str, str]:
    """Each view's recorded digest (none before the table exists)."""
    if SHAPES_TABLE not in existing_tables(conn, schema):
        return {}
    rows = conn.execute(
        SQL("SELECT view, digest FROM {0}.{1}").format(Identifier(schema), Identifier(SHAPES_TABLE))
    )
    return {
        (row["view"] if isinstance(row, dict) else row[0]): (
            row["digest"] if isinstance(row, dict) else row[1]
        )
        for row in rows
    }


def changed(conn: Any, schema: str, views: list[View]) -> dict[str, str]:
    """The views whose tables need a rebuild, each with why; a view with no tables at
    all is not among them (its first start creates them in the code's shape)."""
    digests = recorded(conn, schema)
    present = existing_tables(conn, schema)
    reasons: dict[str, str] = {}
    for view in views:
        digest = digests.get(view.name)
        if digest == shape_digest(view):
            continue
        if digest is None:
            if not view_table_names(view) & present:
                continue
            reasons[view.name] = "no recorded shape: tables from before shapes were recorded"
        else:
            reasons[view.name] = "the code's table definitions differ from the recorded shape"
    return reasons


def retired_present(conn: Any, schema: str) -> list[str]:
    present = existing_tables(conn, schema)
    return [table for table in RETIRED_TABLES if table in present]


def drop_retired(conn: Any, schema: str) -> None:
    """Drop the tables of retired views (registry.py RETIRED_TABLES) if still there."""
    for retired in RETIRED_TABLES:
        conn.execute(
            SQL("DROP TABLE IF EXISTS {0}.{1}").format(Identifier(schema), Identifier(retired))
        )
