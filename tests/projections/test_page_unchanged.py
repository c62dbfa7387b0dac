"""A counter a page moved and moved back is not written (engine/recorder.py DbRows with
the committed rows' images): a table held whole knows what is committed, so only rows
whose values differ from it reach PostgreSQL. Here another writer changes the table
behind the cache's back, which shows which rows a flush wrote."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from projections.engine.recorder import DbRows
from tests.projections.test_page_writes import AUTHORITY, CELLS, cell, rows_in


def _seed(conn: psycopg.Connection[Any], schema: str) -> None:
    for statement in CELLS.create_statements(schema):
        conn.execute(statement)
    with conn.cursor(row_factory=dict_row) as curs:
        rows = DbRows(curs, schema)
        for n in range(3):
            rows.put(CELLS, cell(f"2025-Q{n}", n))
        rows.flush()


def test_rows_back_at_their_committed_values_are_not_written(
    database_url: str, schema: str
) -> None:
    with psycopg.connect(database_url) as conn:
        _seed(conn, schema)
        cache: dict[tuple[str, Any], Any] = {}
        stored: dict[tuple[str, Any], bytes] = {}
        with conn.cursor(row_factory=dict_row) as curs:
            DbRows(curs, schema, cache, stored).load_whole(CELLS)
        conn.execute(f'UPDATE "{schema}".page_cells SET n = 99')
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema, cache, stored)
            rows.load_whole(CELLS)
            moved_back = rows.get(CELLS, ("2025-Q0", AUTHORITY))
            assert moved_back is not None
            moved_back["n"] += 1
            rows.put(CELLS, moved_back)
            moved_back["n"] -= 1
            rows.put(CELLS, moved_back)
            changed = rows.get(CELLS, ("2025-Q1", AUTHORITY))
            assert changed is not None
            changed["themes"].append("added in place")
            rows.put(CELLS, changed)
            rows.put(CELLS, cell("2025-Q5", 5))  # new: no row committed
            rows.delete(CELLS, ("2025-Q6", AUTHORITY))  # never committed: nothing to delete
            rows.flush()
        found = rows_in(conn, schema)
        assert found["2025-Q0"]["n"] == 99  # as committed: not written
        assert found["2025-Q1"] == {**cell("2025-Q1", 1), "themes": changed["themes"]}
        assert found["2025-Q2"]["n"] == 99
        assert found["2025-Q5"] == cell("2025-Q5", 5)

        # What a flush wrote is what is committed next: moving it back is written.
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema, cache, stored)
            rows.load_whole(CELLS)
            rows.delete(CELLS, ("2025-Q5", AUTHORITY))
            again = rows.get(CELLS, ("2025-Q1", AUTHORITY))
            assert again is not None
            again["themes"].pop()
            rows.put(CELLS, again)
            rows.flush()
        found = rows_in(conn, schema)
        assert "2025-Q5" not in found
        assert found["2025-Q1"] == cell("2025-Q1", 1)


def test_without_the_images_every_changed_row_is_written(database_url: str, schema: str) -> None:
    with psycopg.connect(database_url) as conn:
        _seed(conn, schema)
        cache: dict[tuple[str, Any], Any] = {}
        with conn.cursor(row_factory=dict_row) as curs:
            DbRows(curs, schema, cache).load_whole(CELLS)
        conn.execute(f'UPDATE "{schema}".page_cells SET n = 99')
        with conn.cursor(row_factory=dict_row) as curs:
            rows = DbRows(curs, schema, cache)
            row = rows.get(CELLS, ("2025-Q0", AUTHORITY))
            assert row is not None
            rows.put(CELLS, row)
            rows.flush()
        assert rows_in(conn, schema)["2025-Q0"]["n"] == 0
