"""Two projectors on one schema, as two replicas would run: one leads (holds the lease),
the other stands by; killed with SIGKILL, the leader's session ends and the standby takes
over within seconds and applies every later event, each once, with no integrity errors
(which two unguarded projectors produced every 2 s)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from domain.recommendation import Recommendation
from projections.engine.catchup import log_position, view_positions
from services.adapters.settings import Settings
from services.application.store import Rectrack
from tests.builders import Commander, authority, drafted_recommendation
from tests.ports import free_port
from tests.supervision.processes import Process, eventually

pytestmark = [pytest.mark.e2e]

BAD_SIGNS = ("IntegrityError", "UniqueViolation", "Traceback")


@pytest.fixture
def processes() -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        process.stop()


def caught_up(database_url: str, schema: str) -> bool:
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = log_position(conn, schema)
        return all(p >= head for p in view_positions(conn, schema).values())


def test_standby_projector_takes_over_from_a_killed_leader_exactly_once(
    settings: Settings,
    database_url: str,
    schema: str,
    run: Commander,
    app: Rectrack,
    processes: list[Process],
    tmp_path: Path,
) -> None:
    authority_id = authority(run)
    recommendations = [drafted_recommendation(run, authority_id, text=f"R {i}") for i in range(3)]
    lease = f'rectrack_lease_held{{lease="projector:{schema}"}}'

    def projector(name: str) -> Process:
        base = free_port() - 2  # the projector serves on health_port + 2
        process = Process(settings, ["projector"], tmp_path / f"{name}.log", base, base + 2)
        processes.append(process)
        return process

    leader = projector("a")
    eventually(lambda: leader.metric(lease) == 1.0, 60, "the first projector to lead")
    standby = projector("b")
    eventually(lambda: standby.get("/readyz")[0] == 200, 60, "the standby to be ready")
    assert standby.metric(lease) == 0.0
    eventually(lambda: caught_up(database_url, schema), 30, "the views to catch up")

    leader.kill()
    killed_at = time.monotonic()
    recommendations += [drafted_recommendation(run, authority_id, text=f"S {i}") for i in range(3)]
    eventually(lambda: standby.metric(lease) == 1.0, 15, "the standby to take over")
    takeover = time.monotonic() - killed_at
    eventually(lambda: caught_up(database_url, schema), 30, "the standby to apply the rest")
    assert takeover < 5.0, f"took {takeover:.1f} s"

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = dict(
            conn.execute(
                f'SELECT recommendation_id, version FROM "{schema}".status_recommendations'
            ).fetchall()
        )
    assert set(rows) == set(recommendations)
    for rec_id in recommendations:
        assert rows[rec_id] == app.get(Recommendation, UUID(str(rec_id))).version
    for process in (leader, standby):
        output = process.output()
        assert not any(sign in output for sign in BAD_SIGNS), output[-3000:]
    assert standby.stop() == 0
