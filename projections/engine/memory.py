"""Rows of several views kept in memory during a rebuild or replay (engine/rebuild.py):
the views' handlers run against them exactly as they run live against PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from projections.base import Row, Table


class MemoryRows:
    """Rows of several views kept in memory during a rebuild. Append-only rows are
    handed to `spill` in chunks, so a long history never has to fit in memory."""

    def __init__(self, spill: Callable[[Table, list[Row]], None], chunk: int = 50_000) -> None:
        self.tables: dict[str, dict[Any, Row]] = {}
        self.appended: dict[str, tuple[Table, list[Row]]] = {}
        self._spill = spill
        self._chunk = chunk

    def get(self, table: Table, key: Any) -> Row | None:
        rows = self.tables.get(table.name)
        return None if rows is None else rows.get(key)

    def put(self, table: Table, row: Row) -> None:
        rows = self.tables.get(table.name)
        if rows is None:
            rows = self.tables[table.name] = {}
        rows[table.key_of(row)] = row

    def delete(self, table: Table, key: Any) -> None:
        rows = self.tables.get(table.name)
        if rows is not None:
            rows.pop(key, None)

    def add(self, table: Table, row: Row) -> None:
        entry = self.appended.get(table.name)
        if entry is None:
            entry = self.appended[table.name] = (table, [])
        entry[1].append(row)
        if len(entry[1]) >= self._chunk:
            self._spill(table, entry[1])
            entry[1].clear()

    def drain(self, tables: Iterable[Table]) -> Iterator[tuple[Table, list[Row]]]:
        """Every remaining row of the given tables, table by table."""
        for table in tables:
            kept = self.tables.pop(table.name, None)
            if kept:
                yield table, list(kept.values())
            appended = self.appended.pop(table.name, None)
            if appended and appended[1]:
                yield table, appended[1]
