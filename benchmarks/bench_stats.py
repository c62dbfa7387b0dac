"""Statistics and the annual report pack at scale: /stats figures p99 and the whole pack
as XLSX and PDF over about 155,000 recommendations (the store bench_projections makes:
40 authorities, 1,550 places, ten years, about a million events).

Targets (issue 13, on a 2-core machine): each statistics answer p99 < 50 ms; the whole
XLSX pack < 5 s; the PDF < 15 s. Each question is timed twice: answered from the views
(the floor the statistics cells are measured against) and from the cells. Each run
generates into its own scratch schema, builds the two views the statistics read (status,
statistics) from the first event, and drops the schema at the end.

Run: make bench-stats   (RECTRACK_BENCH_SCALE=0.1 for a quick run)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import psycopg

from benchmarks.bench_projections import RECOMMENDATIONS, SCALE, generate, timed
from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from projections.engine.rebuild import rebuild
from projections.engine.registry import select
from projections.engine.runner import projector_env
from projections.views.statistics import Filters, statistics
from projections.views.statistics_cells import refresh as refresh_cells
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.store import Rectrack
from services.reporting.annual import annual_report
from tests.builders import THEMES, YEARS

RUNS = 100
PACK_RUNS = 3
VIEWS = ["status", "statistics"]


def main() -> None:
    url = benchmark_database_url()
    with scratch_schema(url, "bench_stats") as schema:
        settings = Settings(
            database_url=url,
            database_schema=schema,
            lock_timeout_seconds=120,  # three writer threads on a busy machine
            _env_file=None,  # type: ignore[call-arg]
        )
        app = Rectrack(env=eventsourcing_env(settings, url))
        events, authority_ids, place_ids = generate(app)
        app.close()
        with psycopg.connect(url) as conn:
            conn.execute(f'ANALYZE "{schema}".rectrack_events')
        specs = select(VIEWS)
        progress = Progress("rebuild status + statistics", events, "events")
        rebuild(projector_env(settings, url), url, schema, specs, progress=progress.to)
        with psycopg.connect(url, autocommit=True) as conn:
            for spec in specs:
                for table in spec.view.tables:
                    conn.execute(f'ANALYZE "{schema}".{table.name}')

        rng = random.Random(11)
        with psycopg.connect(url) as conn:

            def answer(by: Any = None, **filters: Any) -> Callable[[], None]:
                def run() -> None:
                    chosen = {k: v() if callable(v) else v for k, v in filters.items()}
                    if "year" in chosen:  # one year: the same at both ends
                        chosen["year_from"] = chosen["year_to"] = chosen.pop("year")
                    statistics(conn, schema, Filters(**chosen), by=by)

                return run

            year = lambda: rng.choice(YEARS)  # noqa: E731
            queries: list[tuple[str, Callable[[], None]]] = [
                ("all years, totals", answer()),
                ("one year, totals", answer(year=year)),
                ("one year, by authority", answer("authority", year=year)),
                ("one year, by theme", answer("theme", year=year)),
                ("all years, by year", answer("year")),
                ("all years, by theme", answer("theme")),
                ("all years, by recommending body", answer("recommending_body")),
                (
                    "one authority, by year",
                    answer("year", authority_id=lambda: rng.choice(authority_ids)),
                ),
                ("one place, by year", answer("year", place_id=lambda: rng.choice(place_ids))),
                (
                    "theme + place type, 3 years",
                    answer(
                        "authority",
                        theme=lambda: rng.choice(THEMES),
                        place_type="prison",
                        year_from=2021,
                        year_to=2023,
                    ),
                ),
            ]
            # The same questions answered from the views, then from the statistics cells.
            from_views = [(name, *timed(run, RUNS)) for name, run in queries]
            started = time.perf_counter()
            refresh_cells(url, schema, force=True)
            cells_seconds = time.perf_counter() - started
            timings = [(name, *timed(run, RUNS)) for name, run in queries]
            packs = []
            for fmt in ("xlsx", "pdf"):
                samples = []
                size = 0
                for _ in range(PACK_RUNS):
                    started = time.perf_counter()
                    size = len(annual_report(conn, schema, 2024, fmt).content)  # type: ignore[arg-type]
                    samples.append(time.perf_counter() - started)
                packs.append((fmt, min(samples), max(samples), size))

    print_table(
        f"Store (scale {SCALE})",
        ["recommendations", "events"],
        [[RECOMMENDATIONS, events]],
    )
    print_table(
        f"Statistics answers ({RUNS} runs each, in process, one connection)",
        [
            "question",
            "views p50 ms",
            "views p99 ms",
            "cells p50 ms",
            "cells p99 ms",
            "target p99",
            "met",
        ],
        [
            [
                name,
                f"{v50:.1f}",
                f"{v99:.1f}",
                f"{p50:.1f}",
                f"{p99:.1f}",
                "< 50 ms",
                "yes" if p99 < 50 else "no",
            ]
            for (name, v50, v99), (_, p50, p99) in zip(from_views, timings, strict=True)
        ],
    )
    print_table(
        "Statistics cells",
        ["build from the views, s", "rebuilt by the projector at most every"],
        [[f"{cells_seconds:.2f}", "RECTRACK_STATS_REFRESH_SECONDS (60 s)"]],
    )
    targets = {"xlsx": 5.0, "pdf": 15.0}
    print_table(
        f"Annual report pack for 2024 ({PACK_RUNS} runs each)",
        ["format", "fastest s", "slowest s", "bytes", "target", "met"],
        [
            [
                fmt,
                f"{lo:.2f}",
                f"{hi:.2f}",
                size,
                f"< {targets[fmt]:.0f} s",
                "yes" if hi < targets[fmt] else "no",
            ]
            for fmt, lo, hi, size in packs
        ],
    )


if __name__ == "__main__":
    main()
