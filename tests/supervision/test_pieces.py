"""The parts supervision is built of, each on its own: the restart back-off, the lag
clock, the lease on a real PostgreSQL (a standby takes over when the leader's session
ends), and the health endpoint's answers (readiness turns 503 on drain)."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import psycopg
import pytest

from services.adapters.health import Health, serve_health
from services.adapters.lease import Lease, lease_key
from services.adapters.metrics import COMMANDS, LagClock
from services.supervision import Backoff
from tests.ports import free_port


def test_backoff_doubles_to_its_limit_and_starts_over_after_a_good_run() -> None:
    backoff = Backoff(first=1.0, longest=8.0, reset_after=60.0)
    assert [backoff.delay(ran_for=2.0) for _ in range(5)] == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert backoff.delay(ran_for=61.0) == 1.0
    assert backoff.delay(ran_for=0.5) == 2.0


def test_lag_clock_ages_the_oldest_unapplied_head() -> None:
    clock = LagClock()
    clock.observe(10, now=100.0)
    clock.observe(10, now=101.0)  # the same head: still first seen at 100
    clock.observe(15, now=104.0)
    assert clock.seconds_behind(9, now=110.0) == 10.0
    assert clock.seconds_behind(10, now=110.0) == 6.0  # behind only head 15
    assert clock.seconds_behind(15, now=110.0) == 0.0
    clock.forget_up_to(12)
    assert clock.seconds_behind(12, now=110.0) == 6.0


def test_lease_keys_differ_by_name_and_are_stable() -> None:
    assert lease_key("relay:public") == lease_key("relay:public")
    assert lease_key("relay:public") != lease_key("projector:public")
    assert -(2**63) <= lease_key("relay:public") < 2**63


@pytest.fixture
def leases(database_url: str, schema: str) -> Iterator[tuple[Lease, Lease]]:
    name = f"projector:{schema}"
    leader, standby = Lease(database_url, name), Lease(database_url, name, retry_seconds=0.2)
    yield leader, standby
    leader.release()
    standby.release()


def test_one_holder_and_the_standby_takes_over_when_the_leader_session_ends(
    database_url: str, leases: tuple[Lease, Lease]
) -> None:
    leader, standby = leases
    assert leader.try_acquire()
    assert not standby.try_acquire()
    assert leader.try_acquire()  # holding it again is holding it still
    assert leader._conn is not None
    leader_pid = leader._conn.info.backend_pid
    # The leader's session ends as a killed process's would: the server drops it.
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (leader_pid,))
    assert not leader.still_held()
    started = time.monotonic()
    assert standby.wait(threading.Event())
    assert time.monotonic() - started < 2.0
    assert not leader.try_acquire()


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_health_endpoint_answers_liveness_readiness_and_metrics() -> None:
    health = Health("relay", stall_seconds=0.5)
    health.extra_metrics.append(lambda: b"temporal_metric_from_sdk 1\n")
    port = free_port()
    server = serve_health(health, "127.0.0.1", port)
    assert server is not None
    try:
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/healthz")[0] == 200
        assert _get(f"{base}/readyz") == (503, "not ready\n")
        health.ready = True
        assert _get(f"{base}/readyz") == (200, "ready\n")
        COMMANDS.labels(command="SampleCommand", outcome="applied").inc()
        status, text = _get(f"{base}/metrics")
        assert status == 200
        assert 'rectrack_commands_total{command="SampleCommand",outcome="applied"}' in text
        assert "temporal_metric_from_sdk 1" in text
        health.drain()
        assert _get(f"{base}/readyz") == (503, "draining\n")
        time.sleep(0.6)  # no beat for longer than the stall limit: reported dead
        assert _get(f"{base}/healthz") == (503, "stalled\n")
        health.beat()
        assert _get(f"{base}/healthz")[0] == 200
    finally:
        server.shutdown()
        server.server_close()


def test_a_taken_port_leaves_the_process_running_without_an_endpoint() -> None:
    health = Health("worker")
    first = serve_health(health, "127.0.0.1", free_port())
    assert first is not None
    try:
        assert serve_health(health, "127.0.0.1", first.server_address[1]) is None
    finally:
        first.shutdown()
        first.server_close()
