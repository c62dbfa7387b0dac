"""What every benchmark needs: a real PostgreSQL (the configured URL or an embedded one),
a scratch schema that is dropped afterwards, progress on the terminal, and a result
table printed the same way each time."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from services.adapters.database import ensure_schema, start_embedded_postgres
from services.cli.progress import Progress as ProgressLine


def benchmark_database_url() -> str:
    url = os.environ.get("RECTRACK_DATABASE_URL") or os.environ.get("RECTRACK_TEST_DATABASE_URL")
    if url:
        return url
    return start_embedded_postgres(Path(tempfile.mkdtemp(prefix="rectrack-bench-pg-")))


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    ensure_schema(url, name)
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


class Progress:
    """Counts work done and draws the CLI's progress line (services/cli/progress.py)."""

    def __init__(self, label: str, total: int, unit: str = "items") -> None:
        self.total = total
        self.done = 0
        self._line = ProgressLine(label, unit)

    def advance(self, n: int = 1) -> None:
        self.done += n
        self._line(self.done, self.total)

    def to(self, done: int, _total: int = 0) -> None:
        """Set the count outright: a callback for work that reports its own position."""
        self.advance(done - self.done)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(h) for h in headers], *[[_fmt(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    line = "+".join("-" * (w + 2) for w in widths)
    print(f"\n{title}")
    print(f"+{line}+")
    for index, row in enumerate(cells):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if index == 0:
            print(f"+{line}+")
    print(f"+{line}+")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
