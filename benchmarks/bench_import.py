"""The spreadsheet import end to end: `rectrack import FILE` as a user runs it (a process
of its own, so its peak memory is its own), on a generated file with quotes, `""`
escapes, cells over several lines, non-ASCII text and CR line ends, with the views
current when it returns (it folds what it stored into them itself). For comparison, in a
schema of its own, the way it ran before: `import --leave-views`, then
`rectrack projections rebuild` of the whole store. CPU is the process's and its
PostgreSQL backends' (from /proc): steadier than the wall time on a shared machine.

The floor, measured in the same run on the same file: the bare CSV parse (the csv module
over the file, nothing checked) plus the same batched store writes (the same number of
recommendations and events, built directly on the aggregate and saved 500 per
transaction). Targets: >= 3,000 rows/s end to end; <= 300 MB peak at 100,000 rows.

Run: make bench-import  (options: --rows 40000 100000)
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg
from eventsourcing.domain import Aggregate

from benchmarks.harness import benchmark_database_url, print_table, scratch_schema
from domain.values import PlaceType, Position
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.commands.registry import RegisterPlace
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.builders import Commander, authority, import_meta, unsaved_issued_recommendation

BENCH = Caller("bench", "admin")
HEADER = [
    "external_id",
    "kind",
    "text",
    "authority",
    "place",
    "issued_on",
    "themes",
    "staff",
    "response_received_on",
    "response_position",
    "response_text",
]
AUTHORITIES = ["Ministry of Justice", "Ministère de l'Intérieur", "Министерство здравоохранения"]
PLACES = ["Nordhafen Prison", "Centre de rétention Sud", "Klinik Süd"]
THEMES = ["health care", "food", "contact with family", "use of force", "éducation", "santé"]


def generate(path: Path, rows: int, seed: int = 12) -> None:
    """A file as NPMs keep them, written with CR line ends (Excel for Mac)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\r", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(HEADER)
        for n in range(rows):
            issued = date(2023, 1, 1) + timedelta(days=rng.randrange(600))
            text = (
                f'Ensure that the "{rng.choice(THEMES)}" measures — «{n}» — are taken in '
                f"every unit, with the 'quiet room' closed ({rng.randrange(10**6)})"
            )
            if n % 5 == 0:
                text += "\nSee the visit report,\nsection 4."
            answered = n % 3 == 0
            writer.writerow(
                [
                    f"B-{n}",
                    "visit",
                    text,
                    AUTHORITIES[n % 3],
                    PLACES[n % 3] if n % 2 else "",
                    issued.isoformat(),
                    "; ".join(rng.sample(THEMES, 2)),
                    "A. Novák; Ж. Петрова",
                    (issued + timedelta(days=20)).isoformat() if answered else "",
                    "accepted" if answered else "",
                    'The ministry "agrees" and will act.' if answered else "",
                ]
            )


def prepare(app: Rectrack, executor: Executor) -> list[str]:
    """The authorities and places the file names; their ids."""

    run = Commander(executor, BENCH)
    ids = []
    for name, place in zip(AUTHORITIES, PLACES, strict=True):
        authority_id = authority(run, name=name)
        run(RegisterPlace(name=place, place_type=PlaceType.PRISON, authority_id=authority_id))
        ids.append(str(authority_id))
    return ids


CPU: dict[str, float] = {}
#: CPU seconds of the PostgreSQL backends that served each command, by first argument
BACKEND_CPU: dict[str, float] = {}
_TICK = os.sysconf("SC_CLK_TCK")


class BackendCpu:
    """CPU seconds of the PostgreSQL backends connected under one application_name (the
    child's PGAPPNAME), each read from /proc while it lives (sampled every 50 ms, so a
    backend's last 50 ms may be missed)."""

    def __init__(self, url: str, name: str) -> None:
        self.url, self.name = url, name
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> BackendCpu:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.wait(0.05):
                pids = conn.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (self.name,)
                ).fetchall()
                for (pid,) in pids:
                    try:
                        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
                    except OSError:
                        continue
                    self.seen[pid] = (int(fields[11]) + int(fields[12])) / _TICK

    @property
    def seconds(self) -> float:
        return sum(self.seen.values())


def rectrack(env: dict[str, str], *args: str) -> tuple[float, int]:
    """Runs the CLI in a process of its own: seconds, and that process's peak RSS (MB).
    Its CPU seconds go to CPU[first argument], its PostgreSQL backends' to BACKEND_CPU."""
    started = time.perf_counter()
    command = [sys.executable, "-c", "import sys; from services.cli import main; sys.exit(main())"]
    name = f"bench-import-{os.getpid()}-{args[0]}"
    with BackendCpu(env["RECTRACK_DATABASE_URL"], name) as backends:
        child = subprocess.Popen([*command, *args], env={**env, "PGAPPNAME": name})
        _, status, usage = os.wait4(child.pid, 0)
    BACKEND_CPU[args[0]] = backends.seconds
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"rectrack {' '.join(args)} failed ({child.returncode})")
    CPU[args[0]] = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - started, usage.ru_maxrss // 1024


def floor(path: Path, app: Rectrack, authority_ids: list[str], rows: int) -> tuple[float, float]:
    """Seconds for the bare parse, and for the same batched writes."""
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as file:
        for _ in csv.reader(file):
            pass
    parse = time.perf_counter() - started
    started = time.perf_counter()

    def batches() -> Iterator[tuple[None, list[Aggregate]]]:
        batch: list[Aggregate] = []
        for n in range(rows):
            day = date(2023, 1, 1) + timedelta(days=n % 600)
            rec = unsaved_issued_recommendation(
                authority_ids[n % 3], day, text=f"floor {n}", meta=import_meta(day, "bench")
            )
            if n % 3 == 0:
                rec.record_response(import_meta(day, "bench"), day, Position.ACCEPTED, "ok", None)
            batch.append(rec)
            if len(batch) == 500:
                yield None, batch
                batch = []
        if batch:
            yield None, batch

    for _ in app.save_batches(batches()):
        pass
    return parse, time.perf_counter() - started


def environment(url: str, schema: str, workdir: Path) -> dict[str, str]:
    """The `rectrack` subprocesses' environment: this store, quiet logs."""
    env = dict(os.environ)
    env.update(
        RECTRACK_DATABASE_URL=url,
        RECTRACK_DATABASE_SCHEMA=schema,
        RECTRACK_DATA_DIR=str(workdir),
        RECTRACK_LOG_LEVEL="warning",
    )
    return env


def _cpu(command: str) -> float:
    """The command's CPU seconds and its PostgreSQL backends'."""
    return CPU[command] + BACKEND_CPU[command]


def measure(
    url: str, rows: int, workdir: Path, *, import_only: bool = False
) -> list[object]:
    path = workdir / f"import-{rows}.csv"
    generate(path, rows)
    load = Path("/proc/loadavg").read_text().split()[0]
    results: list[object] = [f"{rows:,}", load]
    # As the import runs now: the views are current when it returns.
    with scratch_schema(url, "bench_import") as schema:
        settings = Settings(database_url=url, database_schema=schema, data_dir=workdir)
        app = Rectrack(env=eventsourcing_env(settings, url))
        prepare(app, Executor(app))
        app.close()
        env = environment(url, schema, workdir)
        rectrack(env, "projections", "rebuild")  # the status view the import reads names from
        seconds, peak = rectrack(env, "import", str(path))
        cpu = _cpu("import")
    if import_only:
        return [*results, f"**{rows / seconds:,.0f}** ({seconds:.1f} s)", f"{cpu:.1f} s", peak]
    # As it ran before: the import leaves the views, a rebuild of the whole store follows.
    with scratch_schema(url, "bench_import") as schema:
        settings = Settings(database_url=url, database_schema=schema, data_dir=workdir)
        app = Rectrack(env=eventsourcing_env(settings, url))
        ids = prepare(app, Executor(app))
        env = environment(url, schema, workdir)
        rectrack(env, "projections", "rebuild")
        bare, bare_peak = rectrack(env, "import", "--leave-views", str(path))
        bare_cpu = _cpu("import")
        views, _ = rectrack(env, "projections", "rebuild")
        rebuild_cpu = _cpu("projections")
        parse, writes = floor(path, app, ids, rows)
        app.close()
    results += [
        f"**{rows / seconds:,.0f}** ({seconds:.1f} s)",
        f"{cpu:.1f} s",
        f"{peak} MB",
        f"{rows / bare:,.0f} ({bare:.1f} s), {bare_peak} MB",
        f"{rows / (bare + views):,.0f} ({bare:.1f} + {views:.1f} s)",
        f"{bare_cpu:.1f} + {rebuild_cpu:.1f} s",
        f"{rows / (parse + writes):,.0f}",
        f"{(parse + writes) / seconds:.0%}",
    ]
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[40_000, 100_000])
    parser.add_argument(
        "--import-only", action="store_true", help="skip the --leave-views + rebuild and the floor"
    )
    args = parser.parse_args()
    url = benchmark_database_url()
    table: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="rectrack-bench-import-") as tmp:
        for rows in sorted(args.rows):
            table.append(
                measure(
                    url,
                    rows,
                    Path(tmp),
                    import_only=args.import_only,
                )
            )
            # printed after each size, so a long run shows what it has measured so far
            print_table(
                "rectrack import, end to end with the views current "
                "(target >= 3,000 rows/s; <= 300 MB at 100,000 rows)",
                [
                    "rows",
                    "load at start",
                    "import, views current: rows/s",
                    "its CPU (process + PostgreSQL)",
                    "its peak RSS",
                    "--leave-views: rows/s, RSS",
                    "--leave-views + rebuild: rows/s",
                    "their CPU (process + PostgreSQL)",
                    "floor rows/s (parse + writes)",
                    "floor time / import time",
                ][: 5 if args.import_only else None],
                table,
            )


if __name__ == "__main__":
    main()
