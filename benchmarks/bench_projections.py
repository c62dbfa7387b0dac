"""Read models at scale: rebuild rate and the status-view queries users run most.

Generates a realistic store (the registry staged through its commands, recommendations
built by tests/builders.py `lifecycle`, all saved with the application's batched import
path, on threads): about 155,000 recommendations across 40 authorities, 1,550 places
and ten years, each with a lifecycle of 1 to 12 events (reminders, stakeholders and tag
changes included), a little over 1,000,000 events in all. Then rebuilds every view from
the first event, and times the filtered lists, the overdue lists, one recommendation and
the scorecard. Before the rebuild, the live projector (pages of `projector_page_size`
events per transaction) catches each view up from the first event over the first
LIVE_EVENTS events of the log, one view at a time, so live and rebuild rates print side
by side from the same store in the same run. Nothing is cached between runs: each run
generates into its own scratch schema, which is dropped at the end.
Targets on a 2-core machine: rebuild >= 60,000 events/s; live catch-up >= 10,000
events/s per view; p99 < 20 ms.

Run: make bench-projections   (RECTRACK_BENCH_SCALE=0.1 for a quick run)
RECTRACK_BENCH_STORE=<schema> keeps the generated store in that schema and reuses it on the
next run (the full store takes over a minute to generate); RECTRACK_BENCH_LIVE_EVENTS=0
skips the live catch-up; RECTRACK_BENCH_QUERIES=0 skips the queries;
RECTRACK_BENCH_VIEWS=trends,status catches up only those views live (and leaves out the
one-event-per-transaction floor), to iterate on one view's catch-up.
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.domain import Aggregate

from benchmarks.backend_cpu import CpuSplit, measured
from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from domain.recommendation import Recommendation
from domain.values import PlaceType
from projections.engine.catchup import wait_until_caught_up
from projections.engine.rebuild import PAGE, BuildResult, rebuild
from projections.engine.registry import select
from projections.engine.runner import Projector, projector_env
from projections.facts import FactMapper, decode_state, fact_mapper
from projections.views import scorecard, status
from projections.views.timeline import audit_timeline
from services.adapters.database import ensure_schema, eventsourcing_env
from services.adapters.settings import Settings
from services.application.commands.base import Command
from services.application.commands.registry import RegisterPlace
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import CASEWORKER, THEMES, YEARS, lifecycle, register_authority_command

SCALE = float(os.environ.get("RECTRACK_BENCH_SCALE", "1.0"))
RECOMMENDATIONS = int(155_000 * SCALE)
AUTHORITIES = 40
PLACES = max(int(1_550 * SCALE), 20)
BATCH = 400
QUERY_RUNS = 300
PER_VIEW = os.environ.get("RECTRACK_BENCH_PER_VIEW", "0") == "1"
LIVE_EVENTS = int(os.environ.get("RECTRACK_BENCH_LIVE_EVENTS", "100000"))
KEPT_STORE = os.environ.get("RECTRACK_BENCH_STORE", "")
QUERIES = os.environ.get("RECTRACK_BENCH_QUERIES", "1") != "0"
LIVE_VIEWS = [v for v in os.environ.get("RECTRACK_BENCH_VIEWS", "").split(",") if v] or None
BASELINE_EVENTS = 10_000
TODAY = date(2026, 1, 15)


def generate(app: Rectrack) -> tuple[int, list[str], list[str]]:
    rng = random.Random(42)
    # The registry through its commands, staged and saved in one batch.
    executor = Executor(app)
    registry: dict[UUID, Aggregate] = {}

    def stage(command: Command) -> Aggregate:
        return executor.stage(
            command,
            CASEWORKER,
            command_id=str(uuid.uuid4()),
            today=date(2016, 1, 1),
            pending=registry,
        )[0]

    authorities = [
        stage(register_authority_command(name=f"Authority {i}", ladder=[]))
        for i in range(AUTHORITIES)
    ]
    place_rows: list[tuple[str, str]] = []  # (place id, authority id)
    for i in range(PLACES):
        place_type = rng.choice(list(PlaceType))
        authority_id = rng.choice(authorities).id
        place = stage(
            RegisterPlace(name=f"Place {i}", place_type=place_type, authority_id=authority_id)
        )
        place_rows.append((str(place.id), str(authority_id)))
    stored = app.save_batch(list(registry.values()), command_id=str(uuid.uuid4()))
    authority_ids = [str(a.id) for a in authorities]
    progress = Progress("generate store", RECOMMENDATIONS, "recommendations")

    def batches() -> Iterator[tuple[str, list[Recommendation]]]:
        for offset in range(0, RECOMMENDATIONS, BATCH):
            batch = []
            for _ in range(min(BATCH, RECOMMENDATIONS - offset)):
                place = rng.choice(place_rows) if rng.random() < 0.85 else None
                authority = place[1] if place else rng.choice(authority_ids)
                batch.append(lifecycle(rng, authority, place))
            progress.advance(len(batch))
            yield str(uuid.uuid4()), batch

    # Batches hold only new aggregates, so they may be saved on threads: the next batch
    # is built while the previous ones are written.
    stored += sum(app.save_batches(batches(), workers=3))
    return stored, authority_ids, [p[0] for p in place_rows]


def timed(run: Callable[[], Any], runs: int = QUERY_RUNS) -> tuple[float, float]:
    for _ in range(10):
        run()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def live_catch_up(settings: Settings, url: str, schema: str) -> list[list[object]]:
    """Each view alone, from the first event: the live projector's rate over the first
    LIVE_EVENTS events of the log."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f'SELECT notification_id FROM "{schema}".rectrack_events '
            "ORDER BY notification_id OFFSET %s LIMIT 1",
            (LIVE_EVENTS - 1,),
        ).fetchone()
        if row is None:
            row = conn.execute(
                f'SELECT max(notification_id) FROM "{schema}".rectrack_events'
            ).fetchone()
        assert row is not None
        target = int(row[0])
        events_row = conn.execute(
            f'SELECT count(*) FROM "{schema}".rectrack_events WHERE notification_id <= %s',
            (target,),
        ).fetchone()
        assert events_row is not None
        events = int(events_row[0])
    rows: list[list[object]] = []
    if LIVE_VIEWS is None:
        rows.append(one_event_per_transaction(settings, url, schema, events))
    for spec in select(LIVE_VIEWS):
        seconds = follow(settings, url, schema, spec.name, target)
        rows.append([spec.name, events, seconds, events / seconds])
        print(f"live catch-up {spec.name}: {events / seconds:,.0f} events/s", flush=True)
    return rows


BASELINE_ROW = "status, one event per transaction"


def one_event_per_transaction(
    settings: Settings, url: str, schema: str, events: int
) -> list[object]:
    """The floor of the old way: the status view one event per transaction (pages of
    one), over the first BASELINE_EVENTS events; then the view is dropped again."""
    status_spec = select(["status"])[0]
    one_by_one = settings.model_copy(update={"projector_page_size": 1})
    baseline = min(BASELINE_EVENTS, events)
    seconds = follow(one_by_one, url, schema, "status", target_at(url, schema, baseline))
    with psycopg.connect(url, autocommit=True) as conn:
        for table in (*status_spec.view.tables, None):
            name = status_spec.view.tracking_table() if table is None else table.name
            conn.execute(f'DROP TABLE "{schema}".{name}')
    return [BASELINE_ROW, baseline, seconds, baseline / seconds]


def target_at(url: str, schema: str, events: int) -> int:
    """The notification id of the log's `events`-th event."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f'SELECT notification_id FROM "{schema}".rectrack_events '
            "ORDER BY notification_id OFFSET %s LIMIT 1",
            (events - 1,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def follow(settings: Settings, url: str, schema: str, view: str, target: int) -> float:
    """Seconds the live projector takes to bring `view` from nothing to `target`."""
    projector = Projector(settings, url, [view])
    started = time.perf_counter()
    projector.start()
    try:
        wait_until_caught_up(url, schema, target, timeout=3600, names=[view])
    finally:
        seconds = time.perf_counter() - started
        projector.stop()
    return seconds


def target_met(row: list[object]) -> tuple[str, str]:
    return ">= 10,000", "yes" if float(str(row[3])) >= 10_000 else "no"


def queries(
    url: str, schema: str, authority_ids: list[str], mapper: FactMapper
) -> list[tuple[str, float, float]]:
    """The status-view queries users run most, and the audit timeline of one of the
    recommendations with the most events (folded from its events), QUERY_RUNS times each."""
    rng = random.Random(7)
    with psycopg.connect(url) as conn:
        ids = [
            r[0]
            for r in conn.execute(
                f'SELECT recommendation_id FROM "{schema}".status_recommendations LIMIT 5000'
            )
        ]
        longest = [
            r[0]
            for r in conn.execute(
                f'SELECT recommendation_id FROM "{schema}".status_recommendations '
                "ORDER BY version DESC LIMIT 300"
            )
        ]

        def filtered() -> None:
            status.list_recommendations(
                conn,
                schema,
                authority_id=rng.choice(authority_ids),
                status=rng.choice(["issued", "responded", "assessed", "closed"]),
                limit=50,
                today=TODAY,
            )

        def filtered_theme() -> None:
            status.list_recommendations(
                conn,
                schema,
                theme=rng.choice(THEMES),
                year=rng.choice(YEARS),
                limit=50,
                today=TODAY,
            )

        def overdue() -> None:
            status.list_recommendations(
                conn,
                schema,
                overdue=True,
                authority_id=rng.choice(authority_ids),
                limit=50,
                today=TODAY,
            )

        def overdue_all() -> None:
            status.list_recommendations(conn, schema, overdue=True, limit=50, today=TODAY)

        def one() -> None:
            status.get_recommendation_status(conn, schema, rng.choice(ids), today=TODAY)

        def scorecard_of_a_year() -> None:
            scorecard.authority_scorecard(conn, schema, year=rng.choice(YEARS), today=TODAY)

        def timeline() -> None:
            audit_timeline(conn, schema, rng.choice(longest), mapper)

        return [
            ("filtered list (authority + status)", *timed(filtered)),
            ("filtered list (theme + year)", *timed(filtered_theme)),
            ("overdue list (one authority)", *timed(overdue)),
            ("overdue list (all)", *timed(overdue_all)),
            ("one recommendation", *timed(one)),
            ("scorecard (one year)", *timed(scorecard_of_a_year)),
            ("audit timeline (one of the longest recommendations)", *timed(timeline)),
        ]


@contextmanager
def store_schema(url: str) -> Iterator[str]:
    """The scratch schema, or the kept one (RECTRACK_BENCH_STORE), never dropped."""
    if not KEPT_STORE:
        with scratch_schema(url, "bench_proj") as schema:
            yield schema
        return
    ensure_schema(url, KEPT_STORE)
    yield KEPT_STORE


def stored_events(url: str, schema: str, *, drop_views: bool = False) -> int:
    """Events already in a kept store (0 if none). `drop_views`: so that the live
    catch-up and the rebuild start from nothing, as on a fresh store."""
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", (f'"{schema}".rectrack_events',)).fetchone() == (
            None,
        ):
            return 0
        found = conn.execute(f'SELECT count(*) FROM "{schema}".rectrack_events').fetchone()
        for spec in select(None) if drop_views else []:
            for name in (*(t.name for t in spec.view.tables), spec.view.tracking_table()):
                conn.execute(f'DROP TABLE IF EXISTS "{schema}".{name}')
    return int(found[0]) if found else 0


def decode_floor(url: str, schema: str) -> tuple[int, float, CpuSplit]:
    """The floor of any build: every event read through the rebuild's binary cursor and
    its state decoded, nothing else. (events, seconds, CPU-seconds of both sides)"""
    started = time.perf_counter()
    done = 0
    with (
        measured(url) as cpu,
        psycopg.connect(url) as conn,
        conn.cursor(name="floor", binary=True) as pages,
    ):
        pages.itersize = PAGE
        pages.execute(
            f"SELECT notification_id, uuid_send(originator_id), originator_version, topic, "
            f'state FROM "{schema}".rectrack_events ORDER BY notification_id'
        )
        while page := pages.fetchmany(PAGE):
            for _, _, _, _, state in page:
                decode_state(state)
            done += len(page)
    return done, time.perf_counter() - started, cpu


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed_rebuild(
    settings: Settings, url: str, schema: str, names: list[str] | None, label: str
) -> tuple[BuildResult, CpuSplit, str]:
    """A rebuild of these views (all when None): its result, CPU-seconds of this
    process and of its PostgreSQL backends, and the load average before it."""
    before = load()
    total = stored_events(url, schema)
    progress = Progress(label, total, "events")
    env = projector_env(settings, url)
    with measured(url) as cpu:
        result = rebuild(env, url, schema, select(names), progress=progress.to)
    return result, cpu, before


def main() -> None:
    url = benchmark_database_url()
    with store_schema(url) as schema:
        settings = Settings(database_url=url, database_schema=schema, _env_file=None)  # type: ignore[call-arg]
        events = stored_events(url, schema, drop_views=True)
        generate_s = 0.0
        if not events:
            app = Rectrack(env=eventsourcing_env(settings, url))
            started = time.perf_counter()
            events, _, _ = generate(app)
            generate_s = time.perf_counter() - started
            app.close()
            with psycopg.connect(url) as conn:
                conn.execute(f'ANALYZE "{schema}".rectrack_events')

        live = live_catch_up(settings, url, schema) if LIVE_EVENTS else []

        floor_load = load()
        floor = decode_floor(url, schema)
        result, rebuild_cpu, rebuild_load = timed_rebuild(
            settings, url, schema, None, "rebuild all views"
        )
        per_view = []
        if PER_VIEW:
            for spec in select(None):
                alone, alone_cpu, alone_load = timed_rebuild(
                    settings, url, schema, [spec.name], f"rebuild {spec.name}"
                )
                per_view.append(
                    [
                        spec.name,
                        alone.events,
                        alone.seconds,
                        alone_cpu.python,
                        alone_cpu.postgres,
                        alone.rate,
                        alone_load,
                    ]
                )
        with psycopg.connect(url, autocommit=True) as conn:
            for spec in select(None):
                for table in spec.view.tables:
                    conn.execute(f'ANALYZE "{schema}".{table.name}')
            authority_ids = [
                str(r[0])
                for r in conn.execute(
                    f'SELECT DISTINCT authority_id FROM "{schema}".status_recommendations'
                )
            ]
        mapper = fact_mapper(projector_env(settings, url))
        timings = queries(url, schema, authority_ids, mapper) if QUERIES else []

    print_table(
        f"Generated store (scale {SCALE})",
        ["recommendations", "events", "seconds", "events/s"],
        [[RECOMMENDATIONS, events, generate_s, events / generate_s if generate_s else "kept"]],
    )
    print_table(
        "Rebuild of all views from the first event, against the floor (every event read "
        "and decoded, nothing else) in the same run",
        [
            "build",
            "events",
            "seconds",
            "Python CPU s",
            "PG CPU s",
            "events/s",
            "load before",
            "target",
            "met",
        ],
        [
            [
                "floor: read + decode",
                floor[0],
                floor[1],
                floor[2].python,
                floor[2].postgres,
                floor[0] / floor[1],
                floor_load,
                "",
                "",
            ],
            [
                f"all {len(select(None))} views",
                result.events,
                result.seconds,
                rebuild_cpu.python,
                rebuild_cpu.postgres,
                result.rate,
                rebuild_load,
                ">= 60,000",
                "yes" if result.rate >= 60_000 else "no",
            ],
            *[[f"{row[0]} alone", *row[1:], "", ""] for row in per_view],
        ],
    )
    print_table(
        f"Live catch-up, one view at a time, pages of {settings.projector_page_size} events, "
        "next to the rebuild of all views (same store, same run)",
        ["view", "events", "seconds", "live events/s", "rebuild events/s", "target", "met"],
        [
            [*row, result.rate, *(("", "") if row[0] == BASELINE_ROW else target_met(row))]
            for row in live
        ],
    )
    print_table(
        f"Status-view queries and the audit timeline ({QUERY_RUNS} runs each)",
        ["query", "p50 ms", "p99 ms", "target p99", "met"],
        [
            [name, f"{p50:.2f}", f"{p99:.2f}", "< 20 ms", "yes" if p99 < 20 else "no"]
            for name, p50, p99 in timings
        ],
    )


if __name__ == "__main__":
    main()
