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

from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
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
MISSED = "Recommendation.ReplyDeadlineMissed"
ESCALATED = "Recommendation.Escalated"


WORKER = "from services.cli import main; main(['worker'])"
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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    """The process's children, theirs, and so on (the worker's letter renderer)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


class MemoryWatch:
    """Samples a process's resident memory on a thread; keeps the peak, and the peak of
    its child processes together (the letter renderer, reported beside it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        #: the peak so far when `mark` was last called (the peak before the burst)
        self.marked = 0.0
        self.children_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            children = 0.0
            for child in descendants(self.pid):
                try:
                    children += rss_mb(child)
                except OSError:
                    continue
            self.children_peak = max(self.children_peak, children)

    def mark(self) -> None:
        self.marked = self.peak

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU so far (its children's not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def dev_server_pid(worker: int) -> int | None:
    """The Temporal dev server this process started (its child, not the worker's)."""
    for pid in descendants(os.getpid()):
        if pid == worker:
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("temporal"):
            return pid
    return None


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wait_until_idle(pid: int, quiet: float = 0.05, most: float = 60.0) -> None:
    """Until the process used under `quiet` s of CPU in a second (its start-up is done)."""

    def cpu() -> float:
        return cpu_seconds(pid)

    deadline = time.monotonic() + most
    before = cpu()
    while time.monotonic() < deadline:
        time.sleep(1)
        now = cpu()
        if now - before < quiet:
            return
        before = now


def decisions(app: Rectrack, after: int, n: int, timeout: float) -> dict[str, list[Any]]:
    """Wait (on the store's LISTEN/NOTIFY subscription) until n escalations were recorded
    after notification `after`; return the missed-deadline and escalation events."""
    found: dict[str, list[Any]] = {MISSED: [], ESCALATED: []}
    with app.recorder.subscribe(gt=after) as subscription:
        timer = threading.Timer(timeout, subscription.stop)
        timer.start()
        progress = Progress("escalations recorded", n, "events")
        try:
            for notification in subscription:
                name = notification.topic.rpartition(":")[2]
                if name in found:
                    found[name].append(app.mapper.to_domain_event(notification))
                    if name == ESCALATED:
                        progress.advance()
                        if len(found[ESCALATED]) >= n:
                            break
        finally:
            timer.cancel()
    return found


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


async def run(n: int, lead_seconds: float) -> None:
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
            worker_env = {
                **os.environ,
                "RECTRACK_DATABASE_URL": url,
                "RECTRACK_DATABASE_SCHEMA": schema,
                "RECTRACK_TEMPORAL_ADDRESS": address,
                "RECTRACK_TASK_QUEUE": TASK_QUEUE,
                "RECTRACK_POOL_SIZE": "10",
                "RECTRACK_LOG_LEVEL": "warning",
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
            await relay.deliver_pending(page=2000)
            starting = time.perf_counter() - started
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
            worker_cpu = cpu_seconds(worker.pid)
            server_cpu = cpu_seconds(server) if server else 0.0
            load_burst = load_average()
            wait = (due_at - datetime.now(UTC)).total_seconds() + 300 + n / 5
            found = await asyncio.to_thread(decisions, app, after, n, wait)
            fired_all = (datetime.now(UTC) - due_at).total_seconds()
            worker_cpu = cpu_seconds(worker.pid) - worker_cpu
            server_cpu = (cpu_seconds(server) if server else 0.0) - server_cpu
            load_after = load_average()
            snapshot(worker)
            peak_rss = watch.stop()
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
                    ["worker RSS, peak from start to the last escalation", f"{peak_rss:,.0f} MB"],
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
                        "worker CPU during the burst",
                        f"{worker_cpu:,.1f} s ({worker_cpu / n * 1000:,.2f} ms per escalation)",
                    ],
                    [
                        "dev server CPU during the burst",
                        f"{server_cpu:,.1f} s ({server_cpu / n * 1000:,.2f} ms per escalation)",
                    ],
                    [
                        "load average: floor / burst / after",
                        f"{load_floor} / {load_burst} / {load_after}",
                    ],
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
                        "worker RSS, peak (starts and burst)",
                        f"{peak_rss:,.0f} MB",
                        "",
                        "",
                        "<= 300 MB",
                        "yes" if peak_rss <= 300 else "no",
                    ],
                ],
            )
        finally:
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
    args = parser.parse_args()
    configure_logging(Settings(log_level="warning", _env_file=None))  # type: ignore[call-arg]
    lead = args.lead if args.lead is not None else 30 + args.obligations / 40
    asyncio.run(run(args.obligations, lead))


if __name__ == "__main__":
    main()
