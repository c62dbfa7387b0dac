"""Two relays on one schema against a real Temporal: one leads, the other stands by; the
leader killed with SIGKILL, the standby takes over within seconds and delivers every
later event (its tracked position reaches the log's head) with no integrity errors."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from services.adapters.settings import Settings
from tests.builders import Commander, authority, issued_recommendation
from tests.ports import free_port
from tests.supervision.processes import Process, eventually, temporal_dev_server
from tests.supervision.test_replicas import BAD_SIGNS
from workflows.relay import TRACKING_TABLE

pytestmark = [pytest.mark.e2e, pytest.mark.temporal]


@pytest.fixture
def temporal(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    server = temporal_dev_server(port, tmp_path / "temporal.log")
    yield f"127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        server.kill()


def relayed_to_head(database_url: str, schema: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = conn.execute(f'SELECT max(notification_id) FROM "{schema}".rectrack_events')
        position = conn.execute(f'SELECT max(notification_id) FROM "{schema}".{TRACKING_TABLE}')
        top, at = head.fetchone(), position.fetchone()
    return bool(top and at and at[0] is not None and at[0] >= top[0])


def test_standby_relay_takes_over_from_a_killed_leader(
    settings: Settings,
    database_url: str,
    schema: str,
    run: Commander,
    temporal: str,
    tmp_path: Path,
) -> None:
    settings = settings.model_copy(update={"temporal_address": temporal})
    authority_id = authority(run)
    for i in range(3):
        issued_recommendation(run, authority_id, text=f"R {i}")
    lease = f'rectrack_lease_held{{lease="relay:{schema}"}}'
    started: list[Process] = []

    def relay(name: str) -> Process:
        base = free_port() - 1  # the relay serves on health_port + 1
        process = Process(settings, ["relay"], tmp_path / f"{name}.log", base, base + 1)
        started.append(process)
        return process

    try:
        leader = relay("a")
        eventually(lambda: leader.metric(lease) == 1.0, 60, "the first relay to lead")
        standby = relay("b")
        eventually(lambda: standby.get("/readyz")[0] == 200, 60, "the standby to be ready")
        assert standby.metric(lease) == 0.0
        eventually(lambda: relayed_to_head(database_url, schema), 30, "the relay to deliver")

        leader.kill()
        killed_at = time.monotonic()
        for i in range(3):
            issued_recommendation(run, authority_id, text=f"S {i}")
        eventually(lambda: standby.metric(lease) == 1.0, 15, "the standby to take over")
        takeover = time.monotonic() - killed_at
        eventually(lambda: relayed_to_head(database_url, schema), 30, "the rest delivered")
        assert takeover < 5.0, f"took {takeover:.1f} s"
        assert standby.metric("rectrack_relay_lag_events") == 0.0
        for process in (leader, standby):
            output = process.output()
            assert not any(sign in output for sign in BAD_SIGNS), output[-3000:]
        assert standby.stop() == 0
    finally:
        for process in started:
            process.stop()
