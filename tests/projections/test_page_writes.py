"""How a page's rows reach PostgreSQL (engine/recorder.py DbRows): many rows of a table
in one set-based statement, whatever their column types, and a small table read whole
once, after which a key not in memory is known to have no row."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from projections.base import Table
from projections.engine.recorder import DbRows

CELLS = Table(
    "page_cells",
    {
        "period": "text",
        "authority_id": "uuid",
        "made_on": "date",
        "themes": "text[]",
        "extra": "jsonb",
        "open": "boolean",
        "n": "int",
    },
    key=("period", "authority_id"),
    small=True,
)
AUTHORITY = "6f1c2a52-5d0e-4a55-9d8e-3c1f5a8b9c01"


def cell(period: str, n: int) -> dict[str, Any]:
    return {
        "period": period,
        "authority_id": AUTHORITY,
        "made_on": "2025-03-31",
        "themes": ["health care", 'it\'s "quoted"'],
        "extra": {"reasons": ["a", "b"], "nested": {"k": 1}},
        "open": n % 2 == 0,
        "n": n,
    }


def rows_in(conn: psycopg.Connection[Any], schema: str) -> dict[str, dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(f'SELECT * FROM "{schema}".page_cells')
        return {row["period"]: CELLS.plain(dict(row)) for row in curs.fetchall()}


def test_many_rows_are_written_and_deleted_in_one_statement_each(
    database_url: str, schema: str
) -> None:
    with psycopg.connect(database_url) as conn:
        for statement in CELLS.create_statements(schema):
            conn.execute(statement)
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema)
            for n in range(5):
                rows.put(CELLS, cell(f"2025-Q{n}", n))
            rows.flush()
        assert rows_in(conn, schema) == {f"2025-Q{n}": cell(f"2025-Q{n}", n) for n in range(5)}

        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema)
            rows.load_whole(CELLS)
            rows.put(CELLS, cell("2025-Q1", 10))
            rows.put(CELLS, cell("2025-Q2", 20))
            rows.delete(CELLS, ("2025-Q3", AUTHORITY))
            rows.delete(CELLS, ("2025-Q4", AUTHORITY))
            rows.flush()
        assert rows_in(conn, schema) == {
            "2025-Q0": cell("2025-Q0", 0),
            "2025-Q1": cell("2025-Q1", 10),
            "2025-Q2": cell("2025-Q2", 20),
        }


def test_a_small_table_is_read_whole_once(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url) as conn:
        for statement in CELLS.create_statements(schema):
            conn.execute(statement)
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema)
            rows.put(CELLS, cell("2024", 1))
            rows.flush()
        conn.commit()

        cache: dict[tuple[str, Any], Any] = {}
        with conn.cursor(row_factory=dict_row) as curs:
            DbRows(curs, schema, cache).load_whole(CELLS)
        # Another writer changes the table: a table held whole is not read again.
        conn.execute(f'UPDATE "{schema}".page_cells SET n = 99')
        conn.execute(
            f'INSERT INTO "{schema}".page_cells (period, authority_id, n) VALUES (%s, %s, 5)',
            ("2023", AUTHORITY),
        )
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema, cache)
            rows.load_whole(CELLS)
            assert rows.get(CELLS, ("2024", AUTHORITY)) == cell("2024", 1)
            assert rows.get(CELLS, ("2023", AUTHORITY)) is None


ACTIONS = Table(
    "page_actions",
    {"recommendation_id": "uuid", "action": "text", "n": "int"},
    key=("recommendation_id", "action"),
    by_aggregate=True,
)
OTHER = "0a7b2c52-5d0e-4a55-9d8e-3c1f5a8b9c02"


def test_an_aggregates_rows_are_read_together(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url) as conn:
        for statement in ACTIONS.create_statements(schema):
            conn.execute(statement)
        conn.execute(
            f'INSERT INTO "{schema}".page_actions VALUES (%s, %s, 1), (%s, %s, 2)',
            (AUTHORITY, "letter", OTHER, "letter"),
        )
        cache: dict[tuple[str, Any], Any] = {}
        with conn.cursor(row_factory=dict_row) as curs:
            DbRows(curs, schema, cache).prefetch_groups(ACTIONS, {AUTHORITY})
        conn.execute(f'INSERT INTO "{schema}".page_actions VALUES (%s, %s, 3)', (AUTHORITY, "call"))
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema, cache)
            assert rows.get(ACTIONS, (AUTHORITY, "letter"))["n"] == 1  # type: ignore[index]
            # read with its aggregate: a key of it not read then has no row
            assert rows.get(ACTIONS, (AUTHORITY, "call")) is None
            # another aggregate's rows are still read when asked for
            assert rows.get(ACTIONS, (OTHER, "letter"))["n"] == 2  # type: ignore[index]
