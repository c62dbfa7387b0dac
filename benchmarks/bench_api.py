"""The HTTP API under load, against its floor in the same run: 100,000 recommendations
in the store, Debian's `wrk` (compiled, 2 threads, 32 connections) driving a mix of 40%
a filtered list page, 40% one recommendation and 20% a follow-up written on one
(benchmarks/wrk/mix.lua), in turns against `rectrack api` and against the floor
(benchmarks/floor_api.py: the thinnest FastAPI + psycopg app running the same SQL on the
same rows). Prints both side by side with the ratio: throughput of the mix, and p50/p99
per kind from a run of each kind alone.

Targets on a 2-core machine: mix throughput >= 0.8 of the floor's; read p99 <= 1.5x.

Both apps run at once with RECTRACK_API_WORKERS uvicorn workers (default 2) and a pool
of 10, and are driven in turns, RECTRACK_BENCH_ROUNDS rounds (default 3), medians shown;
the projector in this process keeps the list view current for both.
RECTRACK_BENCH_SCALE (default 1.0) scales the store size and the run times.

Run: make bench-api
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import psycopg

from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from domain.recommendation import Recommendation
from domain.values import EscalationLevel
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from services.stack import http_ok, wait_until
from services.stack_data import issue_admin_token
from tests.builders import Commander, authority, import_meta, unsaved_issued_recommendation
from tests.ports import free_port

SCALE = float(os.environ.get("RECTRACK_BENCH_SCALE", "1.0"))
RECOMMENDATIONS = max(1_000, int(100_000 * SCALE))
CONNECTIONS = 32
SECONDS = max(5.0, 30.0 * SCALE)
KIND_SECONDS = max(3.0, 10.0 * SCALE)
WARM_UP = 3.0
KINDS = ("list", "one", "write")
ROUNDS = int(os.environ.get("RECTRACK_BENCH_ROUNDS", "3"))
LUA = Path(__file__).parent / "wrk" / "mix.lua"
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


def wrk_run(base: str, mode: str, seconds: float, env: dict[str, str]) -> dict[str, float]:
    """One wrk run (2 threads, 32 connections) of the Lua mix; its done() summary."""
    result = subprocess.run(
        [
            wrk_binary(),
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            base,
        ],
        env={**os.environ, **env, "BENCH_MODE": mode},
        capture_output=True,
        text=True,
        check=True,
    )
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    summary["per_second"] = summary["requests"] / summary["seconds"]
    return summary


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: `make bench-api` installs it (apt-get, as root)")
    return found


def drive(
    targets: dict[str, tuple[str, dict[str, str]]],
) -> dict[str, dict[str, dict[str, float]]]:
    """ROUNDS rounds; in each, every kind of run (the mix, then each kind alone: wrk
    reports latency for a whole run, so per-kind percentiles come from a run of that
    kind) against rectrack, then the same run against the floor, so a burst of load from
    elsewhere on the machine hits both alike. Each figure is the median over the rounds."""
    runs: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in targets}
    for round_number in range(1, ROUNDS + 1):
        for mode, seconds in (("mix", SECONDS), *((k, KIND_SECONDS) for k in KINDS)):
            for name, (base, env) in targets.items():
                print(
                    f"round {round_number}/{ROUNDS}: {name} {mode} for {seconds:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
                runs[name].setdefault(mode, []).append(wrk_run(base, mode, seconds, env))
    return {
        name: {
            mode: {key: statistics.median(r[key] for r in results) for key in results[0]}
            for mode, results in by_mode.items()
        }
        for name, by_mode in runs.items()
    }


def follow_up_state(url: str, schema: str) -> str:
    """A real FollowUpRecorded event's stored state (written by rectrack's run), for the
    floor to write: the projector reads the floor's events too."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            f'SELECT state FROM "{schema}".rectrack_events '
            "WHERE topic LIKE '%%FollowUpRecorded' LIMIT 1"
        ).fetchone()
    if row is None:
        raise SystemExit("rectrack's run wrote no follow-up: see its errors above")
    return bytes(row[0]).hex()


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

        ids_file = Path(tempfile.mkdtemp(prefix="bench-api-")) / "ids.txt"
        ids_file.write_text("\n".join(str(i) for i in ids) + "\n")
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
        base = f"http://127.0.0.1:{port}"
        ours = (
            base,
            {
                "BENCH_IDS": str(ids_file),
                "BENCH_TOKEN": token,
                "BENCH_LIST": "/api/v1/recommendations",
                "BENCH_ONE": "/api/v1/recommendations/%s",
                "BENCH_WRITE": "/api/v1/recommendations/%s/follow-ups",
            },
        )
        floor_port = free_port()
        floor_base = f"http://127.0.0.1:{floor_port}"
        theirs = (
            floor_base,
            {
                "BENCH_IDS": str(ids_file),
                "BENCH_LIST": "/list",
                "BENCH_ONE": "/one/%s",
                "BENCH_WRITE": "/follow-up/%s",
            },
        )
        api = subprocess.Popen([sys.executable, "-c", CLI, "api"], env=env)
        floor: subprocess.Popen[bytes] | None = None
        try:
            wait_until(lambda: http_ok(f"{base}/readyz"), 60, "the API")
            print("rectrack: warming up", file=sys.stderr, flush=True)
            wrk_run(base, "mix", WARM_UP, ours[1])
            # The floor writes a copy of a follow-up rectrack wrote while warming up.
            floor = subprocess.Popen(
                [sys.executable, "-m", "benchmarks.floor_api"],
                env=dict(
                    os.environ,
                    FLOOR_DATABASE_URL=url,
                    FLOOR_SCHEMA=schema,
                    FLOOR_PORT=str(floor_port),
                    FLOOR_WORKERS=str(WORKERS),
                    FLOOR_POOL_SIZE="10",
                    FLOOR_STATE_HEX=follow_up_state(url, schema),
                ),
            )
            wait_until(lambda: http_ok(f"{floor_base}/docs"), 60, "the floor app")
            print("floor: warming up", file=sys.stderr, flush=True)
            wrk_run(floor_base, "mix", WARM_UP, theirs[1])
            results = drive({"rectrack": ours, "floor": theirs})
        finally:
            for process in (api, floor):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
            projector.stop()
    report(results)


def report(results: dict[str, dict[str, dict[str, float]]]) -> None:
    ours, floor = results["rectrack"], results["floor"]
    mix_ratio = ours["mix"]["per_second"] / floor["mix"]["per_second"]
    rows: list[list[object]] = [
        [
            "mix 40/40/20: requests/s",
            ours["mix"]["per_second"],
            floor["mix"]["per_second"],
            f"{mix_ratio:.2f}",
            ">= 0.80",
            "yes" if mix_ratio >= 0.8 else "no",
        ],
        [
            "mix: p50 / p99 ms",
            f"{ours['mix']['p50_ms']:.1f} / {ours['mix']['p99_ms']:.1f}",
            f"{floor['mix']['p50_ms']:.1f} / {floor['mix']['p99_ms']:.1f}",
            f"{ours['mix']['p99_ms'] / floor['mix']['p99_ms']:.2f}x p99",
            "",
            "",
        ],
    ]
    for kind in KINDS:
        a, b = ours[kind], floor[kind]
        p99_ratio = a["p99_ms"] / b["p99_ms"]
        read = kind != "write"
        rows.append(
            [
                f"{kind} alone: requests/s",
                a["per_second"],
                b["per_second"],
                f"{a['per_second'] / b['per_second']:.2f}",
                "",
                "",
            ]
        )
        rows.append(
            [
                f"{kind} alone: p50 / p99 ms",
                f"{a['p50_ms']:.1f} / {a['p99_ms']:.1f}",
                f"{b['p50_ms']:.1f} / {b['p99_ms']:.1f}",
                f"{p99_ratio:.2f}x p99",
                "<= 1.5x" if read else "",
                ("yes" if p99_ratio <= 1.5 else "no") if read else "",
            ]
        )
    errors = [
        f"{app} {mode}: {int(r['non2xx'])} non-2xx, {int(r['socket_errors'])} socket errors"
        for app, runs in results.items()
        for mode, r in runs.items()
        if r["non2xx"] or r["socket_errors"]
    ]
    print_table(
        f"HTTP API vs the floor: {RECOMMENDATIONS:,} recommendations, wrk 2 threads "
        f"{CONNECTIONS} connections, mix {SECONDS:.0f} s, each kind {KIND_SECONDS:.0f} s, "
        f"{WORKERS} workers each, median of {ROUNDS} interleaved rounds",
        ["measure", "rectrack", "floor", "ratio", "target", "met"],
        rows,
    )
    print("errors: " + ("; ".join(errors) if errors else "none"))


if __name__ == "__main__":
    main()
