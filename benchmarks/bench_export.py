"""Exporting a list at scale: every recommendation of the store bench_projections makes
(about 155,000) as CSV and as XLSX, through the one export function the API and the CLI
use, against a floor measured in the same run: PostgreSQL writing the same rows of the
same query as CSV itself (COPY ... TO STDOUT), read by the client and thrown away.

Memory: the Python heap's peak (tracemalloc, in a run of its own so that its cost does
not slow the timed runs) while exporting one year's list and the whole list; flat in the
number of rows means the two peaks are about equal.

Run: make bench-export   (RECTRACK_BENCH_SCALE=0.1 for a quick run)
"""

from __future__ import annotations

import time
import tracemalloc
from datetime import date
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from benchmarks.bench_projections import RECOMMENDATIONS, SCALE, generate
from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from projections.engine.rebuild import rebuild
from projections.engine.registry import select
from projections.engine.runner import projector_env
from projections.views.export_rows import count_rows, iter_rows
from projections.views.status import ListFilters
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.store import Rectrack
from services.spreadsheet_export import export

VIEWS = ["status", "register"]
RUNS = 2


def _floor(conn: psycopg.Connection[Any], schema: str, filters: ListFilters) -> tuple[int, float]:
    """(bytes, seconds): the database writes the list's rows as CSV itself."""
    condition, params = filters.where(date.today())
    query = (
        SQL(
            "COPY (SELECT r.external_id, r.reference, r.kind, r.text, a.name, p.name,"
            " r.issued_on, r.themes, r.keywords, r.vulnerable_groups,"
            " r.detention_practices, r.problem_natures, r.staff, g.responses -> -1,"
            " r.agreed_implementation_date, r.implementation, r.non_implementation_reason,"
            " r.verified, r.verification_method, r.assessed_on"
            " FROM {0}.status_recommendations r"
            " LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id"
            " LEFT JOIN {0}.status_places p ON p.place_id = r.place_id"
            " LEFT JOIN {0}.register_recommendations g"
            " ON g.recommendation_id = r.recommendation_id"
        ).format(Identifier(schema))
        + condition
        + filters.order()
        + SQL(") TO STDOUT WITH (FORMAT csv, HEADER)")
    )
    started = time.perf_counter()
    size = 0
    with conn.cursor() as cursor, cursor.copy(query, params) as copy:
        for chunk in copy:
            size += len(chunk)
    return size, time.perf_counter() - started


def _export(
    conn: psycopg.Connection[Any], schema: str, filters: ListFilters, fmt: str
) -> tuple[int, float]:
    """(bytes, seconds) of the export as every entry point makes it."""
    started = time.perf_counter()
    made = export(
        lambda fields: iter_rows(conn, schema, fields, filters, date.today()),
        fmt,  # type: ignore[arg-type]
        published_only=False,
        reader="bench",
        filters={},
    )
    size = sum(len(chunk) for chunk in made.chunks)
    return size, time.perf_counter() - started


def _peak_mb(conn: psycopg.Connection[Any], schema: str, filters: ListFilters, fmt: str) -> float:
    tracemalloc.start()
    try:
        _export(conn, schema, filters, fmt)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main() -> None:
    url = benchmark_database_url()
    with scratch_schema(url, "bench_export") as schema:
        settings = Settings(
            database_url=url,
            database_schema=schema,
            lock_timeout_seconds=120,
            _env_file=None,  # type: ignore[call-arg]
        )
        app = Rectrack(env=eventsourcing_env(settings, url))
        events, _, _ = generate(app)
        app.close()
        with psycopg.connect(url) as conn:
            conn.execute(f'ANALYZE "{schema}".rectrack_events')
        specs = select(VIEWS)
        progress = Progress("rebuild status + register", events, "events")
        rebuild(projector_env(settings, url), url, schema, specs, progress=progress.to)

        everything = ListFilters()
        one_year = ListFilters(year=2021)
        with psycopg.connect(url) as conn:
            rows = count_rows(conn, schema, everything, date.today())
            year_rows = count_rows(conn, schema, one_year, date.today())
            floor = min((_floor(conn, schema, everything) for _ in range(RUNS)), key=lambda r: r[1])
            timings = {
                fmt: min(
                    (_export(conn, schema, everything, fmt) for _ in range(RUNS)),
                    key=lambda r: r[1],
                )
                for fmt in ("csv", "xlsx")
            }
            memory = {
                fmt: (
                    _peak_mb(conn, schema, one_year, fmt),
                    _peak_mb(conn, schema, everything, fmt),
                )
                for fmt in ("csv", "xlsx")
            }

    print_table(
        f"Store (scale {SCALE})", ["recommendations", "events"], [[RECOMMENDATIONS, events]]
    )
    floor_rate = rows / floor[1]
    print_table(
        f"Export of the whole list, {rows:,} rows (fastest of {RUNS})",
        ["writer", "seconds", "rows/s", "MB", "of the floor"],
        [
            [
                "floor: COPY ... TO STDOUT (csv)",
                f"{floor[1]:.2f}",
                f"{floor_rate:,.0f}",
                f"{floor[0] / 1e6:.1f}",
                "100 %",
            ]
        ]
        + [
            [
                f"rectrack export ({fmt})",
                f"{seconds:.2f}",
                f"{rows / seconds:,.0f}",
                f"{size / 1e6:.1f}",
                f"{100 * (rows / seconds) / floor_rate:.0f} %",
            ]
            for fmt, (size, seconds) in timings.items()
        ],
    )
    print_table(
        "Python heap peak while exporting (tracemalloc)",
        ["format", f"one year ({year_rows:,} rows) MB", f"all ({rows:,} rows) MB"],
        [[fmt, f"{small:.1f}", f"{large:.1f}"] for fmt, (small, large) in memory.items()],
    )


if __name__ == "__main__":
    main()
