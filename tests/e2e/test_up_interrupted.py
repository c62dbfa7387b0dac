"""A SIGINT stops `rectrack up` through its orderly stop wherever in its start it arrives:
as it begins, right after it spawned its processes, once the database is up, or as it
prints its banner (where `make bench-startup` sends it). `up` is started here as a shell starts a
background job (`rectrack up &`, a benchmark run in the background): with SIGINT
inherited as ignored. Such a SIGINT used to be lost until `up` was running, so `up` never
stopped and whoever sent it killed it, leaving the watchdog to end its children later,
their ports still held meanwhile (#16). Each case asserts that `up` itself stopped every
process it started (the watchdog ended nothing), the embedded PostgreSQL too, and that
its ports are free."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from services.dev_temporal import port_free
from tests.e2e.test_up import CLI, START_TIMEOUT, up_environment
from tests.e2e.test_up_stops_database import postmaster
from tests.ports import free_port, free_ports

pytestmark = [pytest.mark.e2e, pytest.mark.temporal]

#: Longer than `up`'s own stop takes (its children stop in well under a second each).
STOP_TIMEOUT = 90.0


def _spawned(data_dir: Path, output: list[str]) -> bool:
    """Every process is spawned (recorded), the database not yet started."""
    try:
        recorded = json.loads((data_dir / "run" / "children.json").read_text())
    except (OSError, ValueError):
        return False
    return "api" in recorded


def _printed(text: str) -> Callable[[Path, list[str]], bool]:
    return lambda data_dir, output: any(text in line for line in output)


WINDOWS = {
    "right after spawning": _spawned,
    "as it begins": _printed("rectrack: starting on"),
    "at the database ready": _printed("rectrack: database ready"),
    "during the banner": _printed("rectrack is running at"),
}


def _recorded(data_dir: Path) -> list[psutil.Process]:
    """What `up` recorded as started, still the same processes."""
    try:
        entries = json.loads((data_dir / "run" / "children.json").read_text())
    except (OSError, ValueError):
        return []
    found = []
    for name, entry in entries.items():
        if name == "up":
            continue
        try:
            process = psutil.Process(int(entry["pid"]))
            if process.create_time() == entry["started"]:
                found.append(process)
        except psutil.Error:
            continue
    return found


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    ("window", "inherited"),
    [(window, "ignored") for window in WINDOWS] + [("right after spawning", "default")],
)
def test_a_sigint_while_starting_stops_everything(
    window: str, inherited: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    api_port, temporal_port, health_port = free_port(), free_port(), free_ports(4)
    up = subprocess.Popen(
        [sys.executable, "-c", CLI, "up"],
        env=up_environment(data_dir, api_port, temporal_port, health_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_ignoring_sigint if inherited == "ignored" else None,
    )
    output: list[str] = []

    def pump() -> None:
        assert up.stdout is not None
        for line in up.stdout:
            output.append(line)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    arrived = WINDOWS[window]
    deadline = time.monotonic() + START_TIMEOUT
    while not arrived(data_dir, output):
        assert up.poll() is None, "`up` exited before the signal:\n" + "".join(output[-30:])
        assert time.monotonic() < deadline, f"never {window}:\n" + "".join(output[-30:])
        threading.Event().wait(0.005)
    started = _recorded(data_dir) + psutil.Process(up.pid).children(recursive=True)
    up.send_signal(signal.SIGINT)
    try:
        up.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        up.kill()  # its watchdog ends the rest
        up.wait()
        pytest.fail(f"`up` did not stop on a SIGINT {window}:\n" + "".join(output[-30:]))
    reader.join(10)

    told = "".join(output[-30:])
    assert any(line.startswith("rectrack: stopped") for line in output), told
    assert not [p for p in started if _alive(p)], f"left running: {started}\n{told}"
    assert postmaster(data_dir) is None, "the embedded PostgreSQL still runs\n" + told
    watchdog = (data_dir / "logs" / "watchdog.log").read_text()
    assert "is gone" not in watchdog, watchdog
    ports = [api_port, temporal_port, *range(health_port, health_port + 4)]
    assert [port for port in ports if not port_free("127.0.0.1", port)] == [], told
