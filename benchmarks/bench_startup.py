"""Start-up: `rectrack up --demo` on an empty data directory (embedded PostgreSQL, the
Temporal dev server, the demo loaded, then projector, relay, worker and API), stopped,
then `rectrack up` again on the same directory. Each phase is timed from the line the
stack prints when it ends, in seconds after the process was started: the CLI's imports
(its first line), PostgreSQL, Temporal, the demo, each child saying it is ready, and
"ready", the banner (printed once every child is ready and the API answers /readyz).
The load average is printed with the table: on a shared machine the figures move with it.

Targets on a 2-core machine: the demo loads in <= 10 s on the first start; the second
start is ready in <= 10 s.

Run: make bench-startup   (RECTRACK_BENCH_STARTS=N for N second starts, default 2)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from benchmarks.harness import print_table
from services.adapters.database import start_embedded_postgres
from services.adapters.settings import Settings
from services.stack import PROCESSES, Stack, port_open, wait_until
from tests.ports import free_port, free_ports

CLI = "import sys; from services.cli import main; sys.exit(main())"
STARTS = int(os.environ.get("RECTRACK_BENCH_STARTS", "2"))
TIMEOUT = 300.0


# The health endpoints use four from the base (`up`'s own is the fourth).
PORTS = {"temporal": free_port(), "health": free_ports(4)}


class Start:
    """One `rectrack up`: the moment each printed line arrived, and when it was ready."""

    def __init__(self, data_dir: Path, port: int, demo: bool) -> None:
        env = {
            key: value
            for key, value in os.environ.items()
            # The stack runs its own database and Temporal: a configured one is not used.
            if key not in ("RECTRACK_DATABASE_URL", "RECTRACK_TEMPORAL_ADDRESS")
        }
        # Ports of its own: another stack or test on the machine may hold the defaults.
        env["RECTRACK_TEMPORAL_DEV_PORT"] = str(PORTS["temporal"])
        env["RECTRACK_HEALTH_PORT"] = str(PORTS["health"])
        command = [sys.executable, "-c", CLI, "up", "--data-dir", str(data_dir)]
        command += ["--port", str(port)] + (["--demo"] if demo else [])
        self.lines: list[tuple[float, str]] = []
        self.data_dir = data_dir
        #: the processes' CPU seconds when `up` says Temporal is up (it tells them then,
        #: unless it loads the demo first): their imports, mostly
        self.cpu_told: dict[str, float] = {}
        self.banner = threading.Event()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ready = self._wait_ready()
        self.load = Path("/proc/loadavg").read_text().split()[0]
        self.cpu = cpu_seconds(data_dir)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.perf_counter() - self.started, line.rstrip()))
            if TOLD_LINE in line:
                self.cpu_told = cpu_seconds(self.data_dir)
            if READY_LINE in line:
                self.banner.set()
        self.banner.set()  # the process ended: _wait_ready reports how

    def _wait_ready(self) -> float:
        if not self.banner.wait(TIMEOUT):
            raise SystemExit(f"rectrack up was not ready within {TIMEOUT:.0f} s")
        at = self.at(READY_LINE)
        if at is None:
            self.process.wait(10)
            tail = "\n".join(line for _, line in self.lines[-20:])
            raise SystemExit(f"rectrack up exited with {self.process.returncode}:\n{tail}")
        return at

    def at(self, text: str) -> float | None:
        """When the first line containing `text` arrived (seconds after the start)."""
        return next((t for t, line in self.lines if text in line), None)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._reader.join(timeout=5)


def cpu_seconds(data_dir: Path) -> dict[str, float]:
    """CPU seconds (user + system) each process `up` recorded had used when it was ready:
    the share of the machine a start needs, which the load of others does not move."""
    entries = json.loads((data_dir / "run" / "children.json").read_text())
    used: dict[str, float] = {}
    for name, entry in entries.items():
        try:
            times = psutil.Process(entry["pid"]).cpu_times()
        except psutil.Error:
            continue
        used[name] = times.user + times.system
    return used


READY_LINE = "rectrack is running at"
TOLD_LINE = "rectrack: temporal at"
#: Each phase and the line the stack prints when it ends.
PHASES = [
    ("CLI imported (first line)", "rectrack: starting on"),
    ("database ready", "rectrack: database ready"),
    ("Temporal ready", "rectrack: temporal at"),
    ("demo data loaded", "rectrack: demo data loaded"),
    *[(f"{name} ready", f"rectrack: {name} ready") for name in PROCESSES],
]


def floor_start(data_dir: Path) -> float:
    """The floor: what any start on this data must do, measured on the same machine in
    the same run: the embedded PostgreSQL and the Temporal dev server started together,
    with four bare Python interpreters (`python -c pass`) beside them, until all are up."""
    settings = Settings(data_dir=data_dir, temporal_dev_port=PORTS["temporal"])
    stack = Stack(settings, say=lambda line: None)
    began = time.perf_counter()
    temporal_port = stack._launch_temporal()
    bare = [subprocess.Popen([sys.executable, "-c", "pass"]) for _ in PROCESSES]
    stack.embedded = True
    start_embedded_postgres(stack.data_dir, stop_at_exit=False)
    wait_until(lambda: port_open("127.0.0.1", temporal_port), TIMEOUT, "temporal", 0.05)
    for process in bare:
        process.wait()
    took = time.perf_counter() - began
    stack.stop()
    return took


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def verdict(value: float | None, target: float) -> str:
    return "-" if value is None else ("yes" if value <= target else "no")


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="rectrack-bench-up-")) / "data"
    port = free_port()
    print(f"first start, with the demo, in {data_dir} ...", file=sys.stderr, flush=True)
    starts = [Start(data_dir, port, demo=True)]
    starts[0].stop()
    for n in range(1, STARTS + 1):
        print(f"second start ({n}/{STARTS}) ...", file=sys.stderr, flush=True)
        starts.append(Start(data_dir, port, demo=False))
        starts[-1].stop()
    print("the floor: PostgreSQL and Temporal alone ...", file=sys.stderr, flush=True)
    floor = floor_start(data_dir)
    floor_load = Path("/proc/loadavg").read_text().split()[0]
    rows: list[list[object]] = [
        [phase, *(seconds(start.at(line)) for start in starts), ""] for phase, line in PHASES
    ]
    first = starts[0]
    demo = step(first, "loading demo data", "demo data loaded")
    rows.append(
        ["demo load itself", seconds(demo), *[""] * STARTS, "<= 10 s: " + verdict(demo, 10)]
    )
    rows.append(["READY (banner)", *(seconds(start.ready) for start in starts), ""])
    again = [start.ready for start in starts[1:]]
    rows.append(
        [
            "second start ready",
            "",
            *(verdict(t, 10) for t in again),
            "<= 10 s: " + verdict(max(again), 10),
        ]
    )
    rows.append(["load average (1 min) at ready", *(start.load for start in starts), ""])
    rows.append(
        [
            f"floor: PostgreSQL + Temporal + 4 bare Pythons {floor:.1f} s (load {floor_load})",
            "",
            *(f"{t / floor:.2f}x" for t in again),
            "",
        ]
    )
    for name in ("up", "temporal", *PROCESSES):
        used = [start.cpu.get(name) for start in starts]
        rows.append(
            [f"CPU seconds of {name}", *("-" if u is None else f"{u:.2f}" for u in used), ""]
        )
    for name in PROCESSES:
        after = [after_told(start, name) for start in starts[1:]]
        rows.append([f"  of which after told, {name}", "", *after, ""])
    total = [f"{sum(start.cpu.get(n, 0.0) for n in ('up', *PROCESSES)):.2f}" for start in starts]
    rows.append(["CPU seconds, up and its four processes", *total, ""])
    print_table(
        "rectrack up: seconds after the process started, first start with the demo, then "
        "second starts on the same data",
        ["phase ends", "first (--demo)", *(f"second #{n}" for n in range(1, STARTS + 1)), "target"],
        rows,
    )
    # Where a start's time goes: every line the last one printed until it was ready.
    print("\nthe last start, line by line until ready:")
    last = starts[-1]
    for at, line in last.lines:
        if at > last.ready:
            break
        print(f"  {at:6.1f} s  {line[:110]}")


def after_told(start: Start, name: str) -> str:
    """CPU seconds a process spent from being told (Temporal up) until `up` was ready."""
    told, ready = start.cpu_told.get(name), start.cpu.get(name)
    return "-" if told is None or ready is None else f"{ready - told:.2f}"


def step(start: Start, begin: str, end: str) -> float | None:
    a, b = start.at(begin), start.at(end)
    return None if a is None or b is None else b - a


if __name__ == "__main__":
    main()
