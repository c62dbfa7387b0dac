"""What every benchmark needs: a real PostgreSQL (the configured URL or an embedded one),
a scratch schema that is dropped afterwards, progress on the terminal, and a result
table printed the same way each time."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import psycopg

from services.database import ensure_schema, start_embedded_postgres


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
    """A one-line progress bar on stderr with a running rate."""

    def __init__(self, label: str, total: int, unit: str = "items") -> None:
        self.label, self.total, self.unit = label, total, unit
        self.started = time.perf_counter()
        self.done = 0
        self._last_draw = 0.0

    def advance(self, n: int = 1) -> None:
        self.done += n
        now = time.perf_counter()
        if now - self._last_draw > 0.2 or self.done >= self.total:
            self._last_draw = now
            elapsed = max(now - self.started, 1e-9)
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            sys.stderr.write(
                f"\r{self.label:<28} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done}/{self.total} {self.unit} {self.done / elapsed:,.0f}/s"
            )
            if self.done >= self.total:
                sys.stderr.write("\n")
            sys.stderr.flush()


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
