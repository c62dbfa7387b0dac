"""The HTTP API under load: 100,000 recommendations in the store, 32 concurrent clients,
a mix of 80% reads (a filtered page of the list, or one recommendation) and 20% writes
(a follow-up recorded on a random recommendation). Prints throughput and p50/p99 per kind.

Targets on a 2-core machine: >= 1,000 writes/s under that mix; read p99 < 50 ms.

The API runs as `rectrack api` in its own processes (RECTRACK_API_WORKERS, default 2), the
projector in this process keeps the list view current, and the clients are asyncio tasks
here. RECTRACK_BENCH_SCALE (default 1.0) scales the store size and the run time.

Run: make bench-api
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from uuid import UUID

import httpx

from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from domain.recommendation import Recommendation
from domain.values import EscalationLevel
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from services.stack import http_ok, issue_admin_token, wait_until
from tests.builders import Commander, authority, import_meta, unsaved_issued_recommendation

SCALE = float(os.environ.get("RECTRACK_BENCH_SCALE", "1.0"))
RECOMMENDATIONS = max(1_000, int(100_000 * SCALE))
CLIENTS = 32
SECONDS = max(5.0, 30.0 * SCALE)
WORKERS = int(os.environ.get("RECTRACK_API_WORKERS", "2"))
CLI = "import sys; from services.cli import main; sys.exit(main())"
THEMES = ["health care", "restraint", "outdoor exercise", "complaints", "hygiene"]


def seed(app: Rectrack, count: int) -> list[UUID]:
    """An authority, then `count` recommendations issued over the last 900 days, saved in
    batches through the import path (one command each would take minutes)."""
    today = date.today()
    run = Commander(Executor(app), Caller("bench", "caseworker"))
    authority_id = authority(run, ladder=[EscalationLevel("reminder", "head", 14)], on=today)
    ids: list[UUID] = []
    progress = Progress("seeding recommendations", count, "recs")
    batch: list[Recommendation] = []
    rng = random.Random(7)
    for n in range(count):
        issued = today - timedelta(days=rng.randint(0, 900))
        rec = unsaved_issued_recommendation(
            authority_id,
            issued,
            text=f"Recommendation {n}: ensure daily outdoor exercise in block {n % 97}",
            tags={"themes": [rng.choice(THEMES)]},
            meta=import_meta(issued, "bench"),
        )
        batch.append(rec)
        ids.append(rec.id)
        if len(batch) == 1000:
            app.save_batch(batch, command_id=f"seed-batch-{n}")
            progress.advance(len(batch))
            batch = []
    if batch:
        app.save_batch(batch, command_id="seed-batch-last")
        progress.advance(len(batch))
    return ids


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def client_loop(
    http: httpx.AsyncClient,
    ids: list[UUID],
    stop_at: float,
    timings: dict[str, list[float]],
    errors: dict[str, int],
    seed_value: int,
) -> None:
    rng = random.Random(seed_value)
    while time.perf_counter() < stop_at:
        roll = rng.random()
        rid = rng.choice(ids)
        if roll < 0.4:
            kind = "read list"
            request = http.get(
                "/api/v1/recommendations",
                params={"theme": rng.choice(THEMES), "limit": 20, "offset": rng.randint(0, 200)},
            )
        elif roll < 0.8:
            kind = "read one"
            request = http.get(f"/api/v1/recommendations/{rid}")
        else:
            kind = "write follow-up"
            request = http.post(
                f"/api/v1/recommendations/{rid}/follow-ups",
                json={"kind": "letter", "summary": "Wrote to the director"},
            )
        started = time.perf_counter()
        response = await request
        elapsed = time.perf_counter() - started
        timings[kind].append(elapsed)
        if response.status_code >= 400:
            errors[kind] += 1


async def load(
    url: str, token: str, ids: list[UUID]
) -> tuple[dict[str, list[float]], dict[str, int], float]:
    kinds = ("read list", "read one", "write follow-up")
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    errors: dict[str, int] = dict.fromkeys(kinds, 0)
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
    ) as http:
        started = time.perf_counter()
        stop_at = started + SECONDS
        await asyncio.gather(
            *(client_loop(http, ids, stop_at, timings, errors, n) for n in range(CLIENTS))
        )
        elapsed = time.perf_counter() - started
    return timings, errors, elapsed


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    from projections.engine.catchup import wait_until_caught_up
    from projections.engine.rebuild import rebuild
    from projections.engine.registry import select
    from projections.engine.runner import Projector, projector_env

    url = benchmark_database_url()
    with scratch_schema(url, "bench_api") as schema:
        settings = Settings(database_url=url, database_schema=schema, pool_size=10)
        app = Rectrack(env=eventsourcing_env(settings, url))
        ids = seed(app, RECOMMENDATIONS)
        token = issue_admin_token(Executor(app), label="bench")
        head = app.recorder.max_notification_id() or 0
        app.close()

        # Only the status view answers the list reads; the others are not on this path.
        # The seeded store is projected in bulk, as an operator would after an import
        # (`rectrack projections rebuild status`); the live projector then follows the
        # writes the benchmark makes.
        bar = Progress("projecting (rebuild)", head, "events")
        rebuild(
            projector_env(settings, url),
            url,
            schema,
            select(["status"]),
            progress=bar.to,
        )
        projector = Projector(settings, url, names=["status"])
        projector.start()
        wait_until_caught_up(url, schema, head, timeout=600, names=["status"])

        port = free_port()
        env = dict(
            os.environ,
            RECTRACK_DATABASE_URL=url,
            RECTRACK_DATABASE_SCHEMA=schema,
            RECTRACK_API_PORT=str(port),
            RECTRACK_API_WORKERS=str(WORKERS),
            RECTRACK_LOG_LEVEL="warning",
            RECTRACK_LOG_FORMAT="json",
            RECTRACK_POOL_SIZE="10",
        )
        api = subprocess.Popen(
            [sys.executable, "-c", CLI, "api"],
            env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: http_ok(f"{base}/readyz"), 60, "the API")
            print(
                f"load: {CLIENTS} clients for {SECONDS:.0f} s against {WORKERS} API workers",
                file=sys.stderr,
            )
            timings, errors, elapsed = asyncio.run(load(base, token, ids))
        finally:
            api.terminate()
            api.wait(timeout=30)
            projector.stop()

    rows = []
    for kind, values in timings.items():
        rows.append(
            [
                kind,
                len(values),
                errors[kind],
                len(values) / elapsed,
                statistics.fmean(values) * 1000 if values else 0.0,
                percentile(values, 0.5),
                percentile(values, 0.99),
            ]
        )
    total = sum(len(v) for v in timings.values())
    rows.append(["all", total, sum(errors.values()), total / elapsed, "", "", ""])
    print_table(
        f"HTTP API: {RECOMMENDATIONS:,} recommendations, {CLIENTS} clients, "
        f"{elapsed:.0f} s, {WORKERS} API workers (targets: >= 1,000 writes/s, read p99 < 50 ms)",
        ["kind", "requests", "errors", "per second", "mean ms", "p50 ms", "p99 ms"],
        rows,
    )


if __name__ == "__main__":
    main()
