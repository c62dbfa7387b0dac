"""Deadline workflows at volume, on a real Temporal dev server and real PostgreSQL.

10,000 open reply obligations (one report, sent to one authority, with one recommendation
each) are written to the store through the batched import path; the relay then starts
their workflows with signal-with-start, and `rectrack worker` runs them in a process of
its own. Every obligation's reply is missed at the same instant, a little after they
have all started: the relay's `fire_at` setting (the time of day a business day's steps
fire) puts it there, so 10,000 timers fire together, the worst case for a worker. Each
firing records the missed deadline, reads the ladder, records the escalation and opens
a caseworker task: four activities, three of them writes through the domain.

Reported: start rate (workflows started by the relay per second), the worker's resident
memory (idle, with every obligation waiting, and at its peak while they fire), and how
late after the due instant the escalation events are recorded (from the events' own
timestamps in the store).

Before the burst, on the same store in the same run, with the worker up and idle, the
store's floor: one command per obligation (a follow-up noted on each recommendation), one
after another through the executor; the burst (due instant to the last escalation
recorded) is printed against it. (After the burst the worker is still writing the steps'
letters, which would slow the floor down.) Targets: within
2x the floor, worker RSS <= 300 MB.

Run: make bench-workflows. RECTRACK_BENCH_SCALE=0.1 or --obligations 1000 for a quick run.
RECTRACK_BENCH_HISTORIES=DIR: at the end, every workflow's history tallied by event type
(benchmarks/wf_histories.py).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from temporalio.testing import WorkflowEnvironment

from benchmarks.escalations_seen import ESCALATED, MISSED, decisions
from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from benchmarks.proc_cpu import (
    CpuSplit,
    MemoryWatch,
    dev_server_pid,
    load_average,
    rss_mb,
    wait_until_idle,
)
from benchmarks.wf_histories import print_tally, tally
from domain.recommendation import TAG_FIELDS, Recommendation
from domain.report import Report
from domain.values import EscalationLevel, EventMeta, FollowUpKind, ReportKind
from services.adapters.database import eventsourcing_env
from services.adapters.log_config import configure_logging
from services.adapters.settings import Settings
from services.application.commands.recommendations import RecordFollowUp
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.builders import register_authority_command
from workflows.converter import DATA_CONVERTER
from workflows.relay import Relay
from workflows.worker import binary

OBLIGATIONS = 10_000
TASK_QUEUE = "rectrack-bench"
BATCH = 500


WORKER = "from services.cli import main; main(['worker'])"
# The relay goes on after the starts, as `rectrack relay` beside the worker: it hands the
# steps' recorded events to their letter batches (workflows/relay_letters.py).
RELAY = "import sys; from services.cli import main; main(['relay', '--fire-at', sys.argv[1]])"
# With RECTRACK_BENCH_TRACEMALLOC=DIR the worker starts tracing its allocations at the
# first SIGUSR1 (just before the due instant) and writes a tracemalloc snapshot of what
# the burst left allocated, with its memory map's totals, to DIR at the second.
TRACED_WORKER = """
import os, signal, tracemalloc
def snapshot(*_):
    out = os.environ["RECTRACK_BENCH_TRACEMALLOC"]
    when = "after" if tracemalloc.is_tracing() else "before"
    with open(os.path.join(out, f"smaps-{when}"), "w") as f:
        f.write(open("/proc/self/smaps").read())
    if when == "before":
        tracemalloc.start(10)
    else:
        tracemalloc.take_snapshot().dump(os.path.join(out, "burst.pickle"))
signal.signal(signal.SIGUSR1, snapshot)
from services.cli import main
main(['worker'])
"""


def snapshot(worker: subprocess.Popen[bytes]) -> None:
    if os.environ.get("RECTRACK_BENCH_TRACEMALLOC"):
        worker.send_signal(signal.SIGUSR1)


def meta(on: Any, command_id: str | None = None) -> EventMeta:
    return EventMeta("bench", "caseworker", on, command_id or str(uuid.uuid4()))


def seed(app: Rectrack, authority_id: str, n: int, due: Any, rec_ids: list[UUID]) -> int:
    """n reports sent on the same day, each with one recommendation due on `due` (its id
    appended to `rec_ids`)."""
    # Sent longer ago than the letters' horizon (workflows/obligation.py LETTER_HORIZON):
    # the reports' transmittal letters are not part of the burst (sent on their own days,
    # they would all be written at the start, inside the lead).
    sent_on = due - timedelta(days=45)

    def batches() -> Iterator[tuple[str, list[Aggregate]]]:
        for start in range(0, n, BATCH):
            aggregates: list[Aggregate] = []
            for i in range(start, min(start + BATCH, n)):
                m = meta(sent_on)
                report = Report(
                    meta=m,
                    kind=ReportKind.VISIT_REPORT.value,
                    title=f"Visit {i}",
                    report_date=sent_on,
                    link=None,
                    visit_ids=[],
                )
                report.send_to(m, authority_id, sent_on, due)
                rec = Recommendation(
                    meta=m,
                    kind="visit",
                    text=f"Recommendation {i}",
                    authority_id=authority_id,
                    report_id=str(report.id),
                    place_id=None,
                    visit_id=None,
                    tags={f: [] for f in TAG_FIELDS},
                    staff=[],
                )
                rec.issue(m, sent_on, due)
                rec_ids.append(rec.id)
                aggregates.extend([report, rec])
            yield f"bench-seed-{start}", aggregates

    progress = Progress("seeding obligations", n, "obligations")
    for count in app.save_batches(batches()):
        progress.advance(count // 4)  # 4 events per obligation
    return n


def letters_written(app: Rectrack, after: int, quiet: float, most: float) -> tuple[int, int, int]:
    """Watch the steps' letters being recorded after notification `after` until none came
    for `quiet` s (or `most` s passed): (LetterGenerated events, distinct letters by their
    PDF's hash, recommendations named by those letters)."""
    events = 0
    named: dict[str, int] = {}
    deadline = time.monotonic() + most
    with app.recorder.subscribe(gt=after) as subscription:
        timer = threading.Timer(quiet, subscription.stop)
        timer.start()
        try:
            for notification in subscription:
                if not notification.topic.endswith(".LetterGenerated"):
                    continue
                events += 1
                letter = app.mapper.to_domain_event(notification).letter  # type: ignore[attr-defined]
                named[letter["documents"][0]["sha256"]] = len(letter["recommendation_ids"])
                timer.cancel()
                if time.monotonic() >= deadline:
                    break
                timer = threading.Timer(min(quiet, deadline - time.monotonic()), subscription.stop)
                timer.start()
        finally:
            timer.cancel()
    return events, len(named), sum(named.values())


def store_floor(app: Rectrack, rec_ids: list[UUID], on: Any) -> float:
    """The store's floor for the burst: one command per obligation (a follow-up noted on
    each recommendation), one after another through the executor. Seconds taken."""
    executor = Executor(app)
    caller = Caller("bench", "caseworker")
    progress = Progress("store floor: one command each", len(rec_ids), "commands")
    started = time.perf_counter()
    for rec in rec_ids:
        executor.execute(
            RecordFollowUp(kind=FollowUpKind.LETTER, summary="Floor: one command"),
            caller,
            command_id=str(uuid.uuid4()),
            today=on,
            target_id=rec,
        )
        progress.advance()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    n: int, lead_seconds: float, letters_quiet: float, letters_most: float | None
) -> None:
    url = benchmark_database_url()
    with scratch_schema(url, "bench_wf") as schema:
        settings = Settings(
            database_url=url,
            database_schema=schema,
            pool_size=10,
            _env_file=None,  # type: ignore[call-arg]
        )
        app = Rectrack(env=eventsourcing_env(settings, url))
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=binary("temporal"),
            dev_server_log_level="error",
            data_converter=DATA_CONVERTER,
        )
        worker: subprocess.Popen[bytes] | None = None
        relay_process: subprocess.Popen[bytes] | None = None
        try:
            authority = Executor(app).execute(
                register_authority_command(
                    ladder=[EscalationLevel("send escalation letter", "ministry", 30)]
                ),
                Caller("bench", "caseworker"),
                command_id="bench-authority",
                today=datetime.now(UTC).date(),
            )
            # A reply due on D is missed on D + 1 at fire_at: D is yesterday, and fire_at
            # is chosen once the floor has run (below) to land on the due instant.
            today = datetime.now(UTC).date()
            due = today - timedelta(days=1)

            started = time.perf_counter()
            rec_ids: list[UUID] = []
            seed(app, str(authority.aggregate_id), n, due, rec_ids)
            seeding = time.perf_counter() - started

            address = env.client.service_client.config.target_host
            worker_log = tempfile.NamedTemporaryFile(  # noqa: SIM115
                prefix="rectrack-bench-worker-", suffix=".log", delete=False
            )
            app_name = f"rectrack-bench-worker-{schema}"
            worker_env = {
                **os.environ,
                "RECTRACK_DATABASE_URL": url,
                "RECTRACK_DATABASE_SCHEMA": schema,
                "RECTRACK_TEMPORAL_ADDRESS": address,
                "RECTRACK_TASK_QUEUE": TASK_QUEUE,
                "RECTRACK_POOL_SIZE": "10",
                "RECTRACK_LOG_LEVEL": "warning",
                # names the worker's PostgreSQL backends, to count their CPU
                "PGAPPNAME": app_name,
            }
            snapshots = os.environ.get("RECTRACK_BENCH_TRACEMALLOC")
            worker = subprocess.Popen(
                [sys.executable, "-c", TRACED_WORKER if snapshots else WORKER],
                env=worker_env,
                stdout=subprocess.DEVNULL,
                stderr=worker_log,
            )
            watch = MemoryWatch(worker.pid)
            if worker.poll() is not None:
                raise SystemExit(f"the worker exited at once; see {worker_log.name}")

            # The store's floor first, with the worker up and idle (not yet busy with the
            # letters the burst leaves behind it, which would slow the floor down).
            wait_until_idle(worker.pid)
            load_floor = load_average()
            floor = await asyncio.to_thread(store_floor, app, rec_ids, today)
            due_at = (datetime.now(UTC) + timedelta(seconds=lead_seconds)).replace(microsecond=0)
            if due_at.date() != today:
                raise SystemExit("the due instant would fall after midnight UTC: run it later")
            fire_at = int((due_at - due_at.replace(hour=0, minute=0, second=0)).total_seconds())
            relay = Relay(
                app,
                env.client,
                task_queue=TASK_QUEUE,
                reminder_days=7,
                fire_at_seconds=fire_at,
                concurrency=128,
            )
            position = relay.position
            started = time.perf_counter()
            for attempt in range(1, 6):
                try:
                    await relay.deliver_pending(page=2000)
                    break
                except Exception as error:  # as Relay.run: from its position again
                    print(f"starts, attempt {attempt}: {error!r}", file=sys.stderr)
            starting = time.perf_counter() - started
            relay_process = subprocess.Popen(
                [sys.executable, "-c", RELAY, f"{due_at:%H:%M:%S}"],
                env={**worker_env, "PGAPPNAME": f"{app_name}-relay", "RECTRACK_HEALTH_PORT": "0"},
                stdout=subprocess.DEVNULL,
                stderr=worker_log,
            )
            # its start-up done before the due instant, so that the burst counts its work
            await asyncio.to_thread(wait_until_idle, relay_process.pid)
            started_all_at = datetime.now(UTC)
            idle_rss = rss_mb(worker.pid)
            if started_all_at > due_at:
                print(
                    f"warning: starting took longer than the lead ({lead_seconds:.0f}s); "
                    "raise --lead",
                    file=sys.stderr,
                )
            after = app.recorder.max_notification_id() or 0
            # CPU from just before the due instant (the starts' workflow tasks are done).
            await asyncio.sleep(max(0.0, (due_at - datetime.now(UTC)).total_seconds() - 1))
            server = dev_server_pid(worker.pid)
            snapshot(worker)
            watch.mark()
            before_rss = rss_mb(worker.pid)
            split = CpuSplit(
                url, worker.pid, server, app_name, relay_process.pid, f"{app_name}-relay"
            )
            cpu_before = split.take()
            load_burst = load_average()
            wait = (due_at - datetime.now(UTC)).total_seconds() + 300 + n / 5
            found, all_seen = await asyncio.to_thread(decisions, app, after, n, wait)
            fired_all = (datetime.now(UTC) - due_at).total_seconds()
            if not all_seen:  # some found in the store, late: the last one's own time
                fired_all = max((e.timestamp - due_at).total_seconds() for e in found[ESCALATED])
            cpu_burst = split.take()
            burst_rss = watch.peak  # before the letters (500 names a letter) are written
            load_after = load_average()
            snapshot(worker)
            # The steps' letters go on after the last escalation (on the worker's letters
            # queue, a niced renderer): watched until none came for a while.
            letter_events, letters, letter_names = await asyncio.to_thread(
                letters_written, app, after, letters_quiet, letters_most or 600 + n / 2
            )
            letters_done = (datetime.now(UTC) - due_at).total_seconds() - letters_quiet
            cpu_letters = split.take()
            load_letters = load_average()
            peak_rss = watch.stop()
            burst_cpu = CpuSplit.spent(cpu_before, cpu_burst)
            letters_cpu = CpuSplit.spent(cpu_burst, cpu_letters)
            late = [(e.timestamp - due_at).total_seconds() for e in found[ESCALATED]]
            late_missed = [(e.timestamp - due_at).total_seconds() for e in found[MISSED]]
            if not late:
                raise SystemExit("no escalation was recorded: is the worker running?")
            ratio = fired_all / floor
            print_table(
                f"Deadline workflows on a Temporal dev server ({n:,} obligations, "
                f"all due at {due_at:%H:%M:%S} UTC, {position} events before)",
                ["measure", "value"],
                [
                    ["obligations seeded (batched import)", f"{n / seeding:,.0f}/s"],
                    ["relay: events delivered", relay.delivered],
                    ["relay: workflows started (signal-with-start)", f"{n / starting:,.0f}/s"],
                    ["relay: time to start all", f"{starting:,.1f} s"],
                    ["worker RSS, all obligations waiting", f"{idle_rss:,.0f} MB"],
                    ["worker RSS, peak while starting them", f"{watch.marked:,.0f} MB"],
                    ["worker RSS, just before the due instant", f"{before_rss:,.0f} MB"],
                    ["worker RSS, peak from start to the last escalation", f"{burst_rss:,.0f} MB"],
                    ["worker RSS, peak with the letters after it", f"{peak_rss:,.0f} MB"],
                    [
                        "its child processes (letter renderer), peak RSS",
                        f"{watch.children_peak:,.0f} MB",
                    ],
                    ["missed deadlines recorded", len(late_missed)],
                    ["escalations recorded", len(late)],
                    ["missed-deadline lateness p50", f"{percentile(late_missed, 0.5):,.2f} s"],
                    ["escalation lateness p50", f"{percentile(late, 0.5):,.2f} s"],
                    ["escalation lateness p95", f"{percentile(late, 0.95):,.2f} s"],
                    ["escalation lateness p99", f"{percentile(late, 0.99):,.2f} s"],
                    ["escalation lateness max", f"{max(late):,.2f} s"],
                    ["escalation lateness min", f"{min(late):,.2f} s"],
                    ["all escalated after due", f"{fired_all:,.1f} s"],
                    [
                        "letters after due: events / letters / recommendations named",
                        f"{letter_events:,} / {letters:,} / {letter_names:,}",
                    ],
                    ["letters: last one recorded after due", f"{letters_done:,.1f} s"],
                    [
                        "load average: floor / burst / after",
                        f"{load_floor} / {load_burst} / {load_after}",
                    ],
                    ["load average at the last letter", load_letters],
                ],
            )
            print_table(
                "CPU-seconds by process: the burst (due to the last escalation), then the letters",
                ["process", "burst", "per escalation", "letters after it"],
                [
                    [
                        part,
                        f"{burst_cpu[part]:,.1f} s",
                        f"{burst_cpu[part] / n * 1000:,.2f} ms",
                        f"{letters_cpu[part]:,.1f} s",
                    ]
                    for part in CpuSplit.PARTS
                ],
            )
            print_table(
                "The burst against the store's floor (same store, same run)",
                ["measure", "burst", "floor", "ratio", "target", "met"],
                [
                    [
                        f"{n:,} obligations due at one instant: all escalations recorded",
                        f"{fired_all:,.1f} s",
                        f"{floor:,.1f} s ({n:,} x one command, {n / floor:,.0f}/s)",
                        f"{ratio:.2f}",
                        "<= 2.0",
                        "yes" if ratio <= 2 else "no",
                    ],
                    [
                        "worker RSS, peak (starts and burst; with the letters after it)",
                        f"{burst_rss:,.0f} MB ({peak_rss:,.0f} MB)",
                        "",
                        "",
                        "<= 300 MB",
                        "yes" if burst_rss <= 300 else "no",
                    ],
                ],
            )
            if histories := os.environ.get("RECTRACK_BENCH_HISTORIES"):
                print_tally(await tally(env.client, Path(histories)))
        finally:
            if relay_process is not None:
                relay_process.send_signal(signal.SIGTERM)
                try:
                    relay_process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    relay_process.kill()
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    code = worker.wait(timeout=30)
                    if code != 0:
                        print(f"worker exited with {code}", file=sys.stderr)
                except subprocess.TimeoutExpired:
                    worker.kill()
            app.close()
            await env.shutdown()


def main() -> None:
    scale = float(os.environ.get("RECTRACK_BENCH_SCALE", "1.0"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--obligations", type=int, default=max(10, int(OBLIGATIONS * scale)))
    parser.add_argument(
        "--lead",
        type=float,
        default=None,
        help="seconds from now to the common due instant (default: room to start them all)",
    )
    parser.add_argument(
        "--letters-quiet",
        type=float,
        default=60.0,
        help="after the burst, wait for letters until none came for this many seconds",
    )
    parser.add_argument(
        "--letters-most", type=float, default=None, help="and at most this many seconds"
    )
    args = parser.parse_args()
    configure_logging(Settings(log_level="warning", _env_file=None))  # type: ignore[call-arg]
    lead = args.lead if args.lead is not None else 30 + args.obligations / 40
    asyncio.run(run(args.obligations, lead, args.letters_quiet, args.letters_most))


if __name__ == "__main__":
    main()
