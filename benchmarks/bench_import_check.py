"""The import's first pass (checking) alone, in this process: its CPU-seconds on the
bench-import file, and a digest of what the import then stores, so that a change to the
check path can be shown to leave the stored events as they were.

`make bench-import` times the whole import as a user runs it; this measures the part
that is single-threaded Python (command models, handlers, aggregates, encoding) with
`time.process_time`, which the other processes on a shared machine do not inflate the
way they do wall time. The digest covers every event the import appends (topic,
version, the stored state's bytes) with the ids and recording times, which differ from
run to run, replaced by their order of first appearance: equal digests mean the same
bytes were stored.

Run: python -m benchmarks.bench_import_check --rows 10000 [--profile out.prof]
     [--store] [--dump events.txt]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path

from benchmarks.bench_import import BENCH, environment, generate, prepare, rectrack
from benchmarks.harness import benchmark_database_url, scratch_schema
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.runtime import build_runtime
from services.application.store import Rectrack
from services.spreadsheet_directory import Directory
from services.spreadsheet_import import Importer
from services.spreadsheet_reading import ReadOptions, Sheet

_UUID = re.compile(rb"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")
#: a recording time (the business dates are days, and stay)
_TIME = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)?")


def normalised(events: list[tuple[bytes, int, str, bytes]]) -> list[bytes]:
    """Each event as one line, ids numbered by first appearance, times blanked."""
    ids: dict[bytes, bytes] = {}

    def number(match: re.Match[bytes]) -> bytes:
        found = match.group(0).replace(b"-", b"")
        return ids.setdefault(found, b"<id%d>" % len(ids))

    lines = []
    for originator, version, topic, state in events:
        head = _UUID.sub(number, originator) + b" %d " % version + topic.encode()
        lines.append(head + b" " + _TIME.sub(b"<time>", _UUID.sub(number, state)))
    return lines


def stored_after(app: Rectrack, position: int) -> list[tuple[bytes, int, str, bytes]]:
    found = []
    while page := app.recorder.select_notifications(position, 1000, inclusive_of_start=False):
        for n in page:
            found.append((str(n.originator_id).encode(), n.originator_version, n.topic, n.state))
        position = page[-1].id
    return found


def run(url: str, rows: int, workdir: Path, args: argparse.Namespace) -> None:
    path = workdir / f"import-{rows}.csv"
    generate(path, rows)
    with scratch_schema(url, "bench_import_check") as schema:
        settings = Settings(database_url=url, database_schema=schema, data_dir=workdir)
        app = Rectrack(env=eventsourcing_env(settings, url))
        prepare(app, Executor(app))
        env = environment(url, schema, workdir)
        rectrack(env, "projections", "rebuild")  # the status view the import reads names from
        position = app.recorder.max_notification_id() or 0
        runtime = build_runtime(settings)
        directory = Directory.load(url, schema, runtime.app.get, runtime.app.external_ids_after)
        sheet = Sheet(path, ReadOptions())
        importer = Importer(runtime.executor, directory, sheet, caller=BENCH, source=path.name)
        gc.set_threshold(100_000, 50, 100)  # as `rectrack import` does
        profile = cProfile.Profile() if args.profile else None
        started = time.process_time()
        if profile is not None:
            profile.enable()
        checked = importer.check()
        if profile is not None:
            profile.disable()
            profile.dump_stats(args.profile)
        cpu = time.process_time() - started
        load = os.getloadavg()[0]
        print(
            f"check pass: {rows:,} rows, {cpu:.2f} CPU-s ({rows / cpu:,.0f} rows/s of CPU), "
            f"{checked.events:,} events; load {load:.1f}",
            flush=True,
        )
        if args.store:
            importer.store_checked(checked)
            lines = normalised(stored_after(app, position))
            digest = hashlib.sha256(b"\n".join(lines)).hexdigest()
            print(f"stored: {len(lines):,} events, digest {digest}")
            if args.dump:
                Path(args.dump).write_bytes(b"\n".join(lines) + b"\n")
        checked.close()
        runtime.close()
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000])
    parser.add_argument("--profile", help="write a cProfile of the check pass here")
    parser.add_argument("--store", action="store_true", help="store, and digest what is stored")
    parser.add_argument("--dump", help="with --store, the normalised events to this file")
    args = parser.parse_args()
    url = benchmark_database_url()
    with tempfile.TemporaryDirectory(prefix="rectrack-bench-import-check-") as tmp:
        for rows in args.rows:
            run(url, rows, Path(tmp), args)


if __name__ == "__main__":
    main()
