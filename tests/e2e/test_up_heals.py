"""`rectrack up` heals and cleans up after itself: a child killed with SIGKILL is started
again (not a teardown, and counted on up's own /metrics); `up` killed with SIGKILL takes
its children and the embedded PostgreSQL with it (they run in their own sessions, so a
killed process group would not); and a second `up` on the same data directory and ports
then starts cleanly."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from services.supervision import run_file
from tests.e2e.test_up import Up, eventually
from tests.e2e.test_up_stops_database import postmaster
from tests.ports import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.temporal]


def recorded(data_dir: Path) -> dict[str, int]:
    try:
        entries = json.loads(run_file(data_dir).read_text())
    except (OSError, ValueError):
        return {}
    return {name: int(entry["pid"]) for name, entry in entries.items()}


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path: concurrent pytest sessions prune each other's old
    # base directories, which a minute-long run of the database must not see.
    base = Path(tempfile.mkdtemp(prefix="rectrack-heals-"))
    yield base / "data"
    shutil.rmtree(base, ignore_errors=True)


def test_up_restarts_a_killed_child_and_dies_whole_when_killed(data_dir: Path) -> None:
    api_port, temporal_port = free_port(), free_port()
    metrics_port = free_port()  # up's own: the fourth from the health port
    up = Up(data_dir, api_port, temporal_port, health_port=metrics_port - 3)
    try:
        first = recorded(data_dir)
        assert {"projector", "relay", "worker", "api", "temporal", "watchdog"} <= set(first)
        os.kill(first["projector"], signal.SIGKILL)
        restarted = eventually(
            lambda: (
                (pid := recorded(data_dir).get("projector")) != first["projector"]
                and pid is not None
                and alive(pid)
                and pid
            ),
            20,
            "the projector to be started again",
        )
        assert alive(first["api"]) and up.process.poll() is None  # no teardown
        assert any("projector exited" in line for line in up.output)
        metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
        assert 'rectrack_up_process_restarts_total{process="projector"} 1.0' in metrics
        assert 'rectrack_up_process_running{process="api"} 1.0' in metrics

        server = postmaster(data_dir)
        assert server is not None
        children = {n: p for n, p in recorded(data_dir).items() if n not in ("up", "watchdog")}
        assert children["projector"] == restarted
        up.process.kill()  # SIGKILL: no handler of `up` runs
        up.process.wait(10)
        eventually(
            lambda: not any(alive(pid) for pid in children.values()),
            30,
            f"every child of the killed up to end ({children})",
        )
        eventually(lambda: not server.is_running(), 30, "the embedded PostgreSQL to stop")
    finally:
        up.stop()

    again = Up(data_dir, api_port, temporal_port)  # same ports: nothing left holds them
    assert again.stop() == 0
    assert postmaster(data_dir) is None
    assert not run_file(data_dir).exists()
