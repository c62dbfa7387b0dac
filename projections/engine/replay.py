"""`rectrack audit replay`: prove the live views are what the events say.

Every event is replayed into fresh views in a scratch schema, up to exactly the position
each live view stands at (live processing of the views is paused meanwhile, so neither
side moves), and the two are compared row by row. Each view gets a digest of its rows
(the same digest on both sides when they agree); each difference is named by view,
table and primary key, with the columns that differ.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composed, Identifier

from projections.base import Table
from projections.engine.catchup import view_positions
from projections.engine.rebuild import ProgressCallback, build_views, ensure_live_tables, paused
from projections.engine.registry import select

MAX_DIFFERENCES_PER_TABLE = 50


@dataclass(frozen=True)
class Difference:
    view: str
    table: str
    key: dict[str, Any]
    problem: str
    columns: tuple[str, ...] = ()

    def __str__(self) -> str:
        key = ", ".join(f"{k}={v}" for k, v in self.key.items())
        detail = f" (columns: {', '.join(self.columns)})" if self.columns else ""
        return f"{self.view}: {self.table} [{key}] {self.problem}{detail}"


@dataclass
class ReplayReport:
    events: int = 0
    seconds: float = 0.0
    positions: dict[str, int] = field(default_factory=dict)
    live_digests: dict[str, str] = field(default_factory=dict)
    replayed_digests: dict[str, str] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.differences


def _columns(names: Iterable[str]) -> Composed:
    return SQL(", ").join(Identifier(c) for c in names)


def _values(table: Table) -> Composed:
    """The table's columns as values that compare: a `json` column (kept as written,
    key order and spacing included) as jsonb, so that equal documents are equal."""
    return SQL(", ").join(
        SQL("{0}::jsonb AS {0}" if sql_type == "json" else "{0}").format(Identifier(c))  # type: ignore[arg-type]
        for c, sql_type in table.columns.items()
    )


def _table_digest(conn: psycopg.Connection[Any], schema: str, table: Table) -> str:
    row = conn.execute(
        SQL(
            "SELECT md5(coalesce(string_agg(md5(ROW(d.*)::text), '' ORDER BY {1}), '')) "
            "FROM (SELECT {0} FROM {2}.{3}) d"
        ).format(_values(table), _columns(table.key), Identifier(schema), Identifier(table.name))
    ).fetchone()
    return str(row[0]) if row else ""


def _compare_table(
    conn: psycopg.Connection[Any], live: str, replayed: str, view: str, table: Table
) -> list[Difference]:
    name, columns, key = table.name, list(table.columns), list(table.key)
    cols = _values(table)
    keys = _columns(key)

    def only_in(a: str, b: str) -> list[tuple[Any, ...]]:
        return conn.execute(
            SQL(
                "SELECT DISTINCT {0} FROM (SELECT {1} FROM {2}.{4} EXCEPT ALL "
                "SELECT {1} FROM {3}.{4}) d LIMIT %s"
            ).format(keys, cols, Identifier(a), Identifier(b), Identifier(name)),
            (MAX_DIFFERENCES_PER_TABLE,),
        ).fetchall()

    suspects = {tuple(r) for r in only_in(live, replayed)} | {
        tuple(r) for r in only_in(replayed, live)
    }
    differences = []
    where = SQL(" AND ").join(SQL("{0} = %s").format(Identifier(k)) for k in key)
    for values in sorted(suspects, key=str)[:MAX_DIFFERENCES_PER_TABLE]:
        sides = []
        for schema in (live, replayed):
            with conn.cursor(row_factory=dict_row) as curs:
                curs.execute(
                    SQL("SELECT {0} FROM {1}.{2} WHERE ").format(
                        cols, Identifier(schema), Identifier(name)
                    )
                    + where,
                    values,
                )
                sides.append(curs.fetchone())
        key_map = dict(zip(key, (str(v) for v in values), strict=True))
        live_row, replayed_row = sides
        if live_row is None:
            differences.append(Difference(view, name, key_map, "missing from the live view"))
        elif replayed_row is None:
            differences.append(Difference(view, name, key_map, "in the live view only"))
        else:
            changed = tuple(c for c in columns if live_row[c] != replayed_row[c])
            differences.append(Difference(view, name, key_map, "differs", changed))
    return differences


def replay_and_compare(
    env: dict[str, str],
    database_url: str,
    schema: str,
    names: list[str] | None = None,
    *,
    progress: ProgressCallback | None = None,
) -> ReplayReport:
    specs = select(names)
    ensure_live_tables(env, specs)
    scratch = f"replay_{uuid.uuid4().hex[:10]}"
    report = ReplayReport()
    with psycopg.connect(database_url, autocommit=True) as locks:
        locks.execute("SET lock_timeout = 0")
        locks.execute("SET statement_timeout = 0")
        with paused(locks, schema, specs):
            positions = view_positions(locks, schema, [s.name for s in specs])
            try:
                with psycopg.connect(database_url, autocommit=False) as conn:
                    conn.execute("SET statement_timeout = 0")
                    conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(scratch)))
                    built = build_views(
                        env,
                        database_url,
                        conn,
                        schema,
                        scratch,
                        specs,
                        stops=positions,
                        progress=progress,
                        with_indexes=False,
                    )
                    conn.commit()
                    report.events, report.seconds = built.events, built.seconds
                    report.positions = positions
                    for spec in specs:
                        live_parts, replayed_parts = [], []
                        for table in spec.view.tables:
                            live_parts.append(_table_digest(conn, schema, table))
                            replayed_parts.append(_table_digest(conn, scratch, table))
                            report.differences.extend(
                                _compare_table(conn, schema, scratch, spec.name, table)
                            )
                        report.live_digests[spec.name] = _digest(live_parts)
                        report.replayed_digests[spec.name] = _digest(replayed_parts)
                    conn.rollback()
            finally:
                with psycopg.connect(database_url, autocommit=True) as cleanup:
                    cleanup.execute(
                        SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(scratch))
                    )
    return report


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()
