"""Start-up: `rectrack up --demo` on an empty data directory (embedded PostgreSQL, the
Temporal dev server, the demo loaded, then projector, relay, worker and API), stopped,
then `rectrack up` again on the same directory. Each step is timed from the lines the
stack prints as it goes; "ready" is the API's /readyz answering 200 (polled every 50 ms).

Targets on a 2-core machine: the demo loads in <= 10 s on the first start; the second
start is ready in <= 10 s.

Run: make bench-startup   (RECTRACK_BENCH_STARTS=N for N second starts, default 2)
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.bench_api import free_port
from benchmarks.harness import print_table
from services.stack import http_ok

CLI = "import sys; from services.cli import main; sys.exit(main())"
STARTS = int(os.environ.get("RECTRACK_BENCH_STARTS", "2"))
TIMEOUT = 300.0


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (the health endpoints use three)."""
    for _ in range(50):
        first = free_port()
        if first + count >= 65535:
            continue
        try:
            for extra in range(1, count):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", first + extra))
        except OSError:
            continue
        return first
    raise SystemExit("no free ports for the stack")


PORTS = {"temporal": free_port(), "health": free_ports(3)}


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
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.ready = self._wait_ready(f"http://127.0.0.1:{port}/readyz")

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.perf_counter() - self.started, line.rstrip()))

    def _wait_ready(self, url: str) -> float:
        deadline = time.perf_counter() + TIMEOUT
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                tail = "\n".join(line for _, line in self.lines[-20:])
                raise SystemExit(f"rectrack up exited with {self.process.returncode}:\n{tail}")
            if http_ok(url):
                return time.perf_counter() - self.started
            time.sleep(0.05)
        raise SystemExit(f"rectrack up was not ready within {TIMEOUT:.0f} s")

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


def step(start: Start, begin: str, end: str) -> float | None:
    a, b = start.at(begin), start.at(end)
    return None if a is None or b is None else b - a


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} s"


def main() -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="rectrack-bench-up-")) / "data"
    port = free_port()
    print(f"first start, with the demo, in {data_dir} ...", file=sys.stderr, flush=True)
    first = Start(data_dir, port, demo=True)
    first.stop()
    rows: list[list[object]] = []
    demo = step(first, "loading demo data", "demo data loaded")
    rows.append(
        [
            "first start (--demo): demo data loaded",
            seconds(demo),
            "<= 10 s",
            "-" if demo is None else ("yes" if demo <= 10 else "no"),
        ]
    )
    rows.append(["first start: database ready", seconds(first.at("database ready")), "", ""])
    rows.append(["first start: Temporal ready", seconds(first.at("temporal at")), "", ""])
    rows.append(["first start: ready (API /readyz)", seconds(first.ready), "", ""])
    again = first
    for n in range(1, STARTS + 1):
        print(f"second start ({n}/{STARTS}) ...", file=sys.stderr, flush=True)
        again = Start(data_dir, port, demo=False)
        again.stop()
        rows.append(
            [
                f"second start #{n}: database ready",
                seconds(again.at("database ready")),
                "",
                "",
            ]
        )
        rows.append(
            [f"second start #{n}: Temporal ready", seconds(again.at("temporal at")), "", ""]
        )
        rows.append(
            [
                f"second start #{n}: ready (API /readyz)",
                seconds(again.ready),
                "<= 10 s",
                "yes" if again.ready <= 10 else "no",
            ]
        )
    print_table(
        "rectrack up: first start with the demo, then second starts on the same data",
        ["measure", "seconds after start", "target", "met"],
        rows,
    )
    # Where a start's time goes: every line the last one printed until it was ready.
    print("\nthe last start, line by line until ready:")
    for at, line in again.lines:
        if at > again.ready:
            break
        print(f"  {at:6.1f} s  {line[:110]}")


if __name__ == "__main__":
    main()
