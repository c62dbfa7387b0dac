"""CPU per request of the HTTP API against its floor, in one process, with no network
and no load generator: the ASGI applications are called directly, one request at a time,
and the process's CPU time (all threads) is divided by the requests. A/B comparisons of
the API's own cost move far less with the machine's load than `make bench-api`'s
throughput (the database's CPU is not counted: both sides run the same SQL).

Run: python -m benchmarks.cpu_api  (RECTRACK_CPU_REQUESTS per kind, default 2000;
RECTRACK_CPU_ROUNDS, default 3, the median shown; RECTRACK_CPU_KINDS, default list,one)
"""

from __future__ import annotations

import asyncio
import importlib
import os
import random
import statistics
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any
from uuid import UUID

import psycopg

from benchmarks.bench_api import seed
from benchmarks.harness import benchmark_database_url, print_table, scratch_schema
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack
from services.stack import issue_admin_token

REQUESTS = int(os.environ.get("RECTRACK_CPU_REQUESTS", "2000"))
ROUNDS = int(os.environ.get("RECTRACK_CPU_ROUNDS", "3"))
KINDS = os.environ.get("RECTRACK_CPU_KINDS", "list,one").split(",")
THEMES = ["health%20care", "restraint", "outdoor%20exercise", "complaints", "hygiene"]

ASGI = Callable[..., Any]


async def lifespan(app: ASGI) -> tuple[asyncio.Task[None], asyncio.Queue[dict[str, str]]]:
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    started = asyncio.Event()
    await inbox.put({"type": "lifespan.startup"})

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.create_task(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
    )
    await started.wait()
    return task, inbox


async def call(app: ASGI, path: str, query: str, token: str | None) -> int:
    headers = [(b"host", b"bench"), (b"accept", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1234),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def requests_for(
    kind: str, ours: bool, ids: list[UUID], rng: random.Random
) -> list[tuple[str, str]]:
    out = []
    for _ in range(REQUESTS):
        if kind == "list":
            query = f"theme={rng.choice(THEMES)}&limit=20&offset={rng.randint(0, 200)}"
            out.append(("/api/v1/recommendations" if ours else "/list", query))
        else:
            rid = rng.choice(ids)
            out.append((f"/api/v1/recommendations/{rid}" if ours else f"/one/{rid}", ""))
    return out


async def measure(app: ASGI, kind: str, ours: bool, ids: list[UUID], token: str | None) -> float:
    """CPU milliseconds per request (the process's, all threads)."""
    work = requests_for(kind, ours, ids, random.Random(11))
    for path, query in work[:50]:  # warm
        await call(app, path, query, token)
    cpu = time.process_time()
    for path, query in work:
        status = await call(app, path, query, token)
        if status != 200:
            raise SystemExit(f"{path}?{query}: {status}")
    return (time.process_time() - cpu) * 1000 / len(work)


async def run(ours: ASGI, floor: ASGI, ids: list[UUID], token: str) -> dict[str, list[float]]:
    tasks = [await lifespan(ours), await lifespan(floor)]
    results: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        for kind in KINDS:
            results.setdefault(f"{kind} rectrack", []).append(
                await measure(ours, kind, True, ids, token)
            )
            results.setdefault(f"{kind} floor", []).append(
                await measure(floor, kind, False, ids, None)
            )
    for task, inbox in tasks:
        await inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(task, 30)
    return results


def kept_ids(url: str, schema: str) -> list[UUID]:
    with psycopg.connect(url) as conn:
        found = conn.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
            "AND table_name = 'status_recommendations'",
            (schema,),
        ).fetchone()
        if found is None:
            return []
        rows = conn.execute(
            f'SELECT recommendation_id FROM "{schema}".status_recommendations'
        ).fetchall()
    return [row[0] for row in rows]


def main() -> None:
    from projections.engine.rebuild import rebuild
    from projections.engine.registry import select
    from projections.engine.runner import projector_env
    from services.adapters.log_config import configure_logging
    from services.api import create_app

    configure_logging(Settings(log_level="warning", log_format="json"))
    url = benchmark_database_url()
    kept = os.environ.get("RECTRACK_CPU_SCHEMA")  # reuse a store seeded by an earlier run
    with nullcontext(kept) if kept else scratch_schema(url, "cpu_api") as schema:
        settings = Settings(database_url=url, database_schema=schema, pool_size=10)
        app = Rectrack(env=eventsourcing_env(settings, url))
        ids = kept_ids(url, schema) if kept else []
        if not ids:
            ids = seed(app, int(os.environ.get("RECTRACK_CPU_RECOMMENDATIONS", "3000")))
            rebuild(projector_env(settings, url), url, schema, select(["status"]))
        token = issue_admin_token(Executor(app), label="bench")
        ours = create_app(Runtime(settings=settings, database_url=url, app=app))
        os.environ.update(FLOOR_DATABASE_URL=url, FLOOR_SCHEMA=schema, FLOOR_POOL_SIZE="2")
        floor = importlib.import_module("benchmarks.floor_api").app
        results = asyncio.run(run(ours, floor, ids, token))
        app.close()
    load = os.getloadavg()
    rows = []
    for kind in KINDS:
        a = statistics.median(results[f"{kind} rectrack"])
        b = statistics.median(results[f"{kind} floor"])
        rows.append([kind, f"{a:.3f}", f"{b:.3f}", f"{a / b:.2f}x"])
    print_table(
        f"CPU ms per request, in process, {REQUESTS} requests x {ROUNDS} rounds (median); "
        f"load {load[0]:.1f} {load[1]:.1f}",
        ["kind", "rectrack", "floor", "ratio"],
        rows,
    )
    for key, values in results.items():
        print(key, " ".join(f"{v:.3f}" for v in values))


if __name__ == "__main__":
    main()
