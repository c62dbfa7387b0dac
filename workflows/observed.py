"""What the worker and the relay add to run safely as replicas and be watched: the
health endpoint (services/adapters/health.py), the Temporal SDK's own metrics bridged
into the worker's /metrics, and the relay's leader lease and lag gauges."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.request

import structlog
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from services.adapters import metrics
from services.adapters.health import Health
from services.adapters.lease import Lease
from workflows.relay import Relay

log = structlog.get_logger(__name__)


def _free_local_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def temporal_metrics_runtime(health: Health) -> Runtime:
    """A Temporal runtime whose SDK metrics (task latencies, slots, polls, failures)
    are served by Prometheus on a private loopback port and appended to this process's
    /metrics, so one scrape target per process carries both."""
    address = f"127.0.0.1:{_free_local_port()}"
    runtime = Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))

    def temporal_metrics() -> bytes:
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=2) as response:
            return bytes(response.read())

    health.extra_metrics.append(temporal_metrics)
    return runtime


async def beat_until(stop: asyncio.Event, health: Health, every: float = 5.0) -> None:
    """Liveness from the event loop itself: a blocked loop stops beating."""
    while not stop.is_set():
        health.beat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def lead_relay(relay: Relay, lease: Lease, stop: asyncio.Event, health: Health) -> None:
    """Runs the relay while this process holds the relay lease; stands by otherwise and
    takes over when the leader's database session ends."""
    held = metrics.LEASE_HELD.labels(lease=lease.name)
    health.mark_ready()
    try:
        while not stop.is_set():
            health.beat()
            if not await asyncio.to_thread(lease.try_acquire):
                held.set(0)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=lease.retry_seconds)
                continue
            held.set(1)
            leading = asyncio.Event()
            watcher = asyncio.create_task(_watch_lease(lease, stop, leading, health))
            await relay.run(leading)
            await watcher
            held.set(0)
    finally:
        await asyncio.to_thread(lease.release)


async def _watch_lease(
    lease: Lease, stop: asyncio.Event, leading: asyncio.Event, health: Health
) -> None:
    """Sets `leading` (which stops the relay) on `stop` or once the lease is lost."""
    while not stop.is_set():
        health.beat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)
        if not await asyncio.to_thread(lease.still_held):
            break
    leading.set()


def refresh_relay_lag(relay: Relay, clock: metrics.LagClock) -> None:
    head = relay.app.recorder.max_notification_id() or 0
    position = relay.position
    clock.observe(head)
    metrics.RELAY_LAG_EVENTS.set(max(head - position, 0))
    metrics.RELAY_LAG_SECONDS.set(clock.seconds_behind(position))
    clock.forget_up_to(position)
