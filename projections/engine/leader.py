"""The projector as one leader among replicas: it applies events only while it holds the
projector lease of its schema (services/adapters/lease.py); a replica without it stands
by, and takes over within a retry interval when the leader's database session ends.
Also refreshes the projector's gauges (lag per view, open obligations, escalations)
when /metrics is scraped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from projections.engine import catchup
from projections.engine.runner import Projector
from services.adapters import metrics
from services.adapters.health import Health
from services.adapters.lease import Lease


def lease_name(schema: str, names: list[str] | None) -> str:
    """One lease per schema and set of views (a projector of only some views is
    another role)."""
    return f"projector:{schema}" + (":" + ",".join(sorted(names)) if names else "")


def run_as_leader(
    projector: Projector,
    lease: Lease,
    stop: threading.Event,
    health: Health,
    *,
    check_every: float = 1.0,
) -> None:
    held = metrics.LEASE_HELD.labels(lease=lease.name)
    projector.heartbeat = health.beat  # a start may rebuild views first (engine/shapes.py)
    health.mark_ready()  # a standby is a healthy, ready replica
    try:
        while not stop.is_set():
            health.beat()
            if not lease.try_acquire():
                held.set(0)
                stop.wait(lease.retry_seconds)
                continue
            held.set(1)
            projector.start()
            while not stop.wait(check_every):
                health.beat()
                if not lease.still_held():
                    break
                projector.keep()
            # Stopping, or the lease is lost: apply nothing more until it is held again.
            projector.stop()
            held.set(0)
    finally:
        projector.stop()
        lease.release()


def gauges(database_url: str, schema: str, names: list[str] | None) -> Callable[[], None]:
    """A refresh for the projector's gauges, run at each scrape on its own connection."""
    clock = metrics.LagClock()

    def refresh() -> None:
        with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
            positions = catchup.status(conn, schema, names)
            if positions:
                clock.observe(positions[0].log_position)
            for view in positions:
                metrics.PROJECTION_LAG_EVENTS.labels(view=view.name).set(view.lag)
                metrics.PROJECTION_LAG_SECONDS.labels(view=view.name).set(
                    clock.seconds_behind(view.position)
                )
            if positions:
                clock.forget_up_to(min(v.position for v in positions))
            _obligations(conn, schema)

    return refresh


def _obligations(conn: psycopg.Connection[Any], schema: str) -> None:
    table = Identifier(schema, "status_recommendations")
    exists = conn.execute(
        "SELECT to_regclass(%s) IS NOT NULL", (f'"{schema}".status_recommendations',)
    ).fetchone()
    if not exists or not exists[0]:
        return
    row = conn.execute(
        SQL(
            "SELECT count(*) FILTER (WHERE due_on IS NOT NULL), "
            "count(*) FILTER (WHERE due_on < current_date) FROM {0}"
        ).format(table)
    ).fetchone()
    if row is not None:
        metrics.OPEN_OBLIGATIONS.set(int(row[0]))
        metrics.OVERDUE_OBLIGATIONS.set(int(row[1]))
    metrics.ESCALATIONS.clear()  # a level nobody is at any more reads 0, not its last count
    for level, count in conn.execute(
        SQL(
            "SELECT coalesce(escalation_level, 0), count(*) FROM {0} "
            "WHERE ended_on IS NULL GROUP BY 1"
        ).format(table)
    ):
        metrics.ESCALATIONS.labels(level=str(level)).set(int(count))
