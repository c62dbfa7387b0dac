"""Rebuild, replay, and a projector killed mid-way: the counts stay exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import orjson
import psycopg
import pytest

from domain.values import RecommendationKind
from projections.engine.catchup import wait_until_caught_up
from projections.engine.rebuild import rebuild
from projections.engine.registry import RETIRED_TABLES, select
from projections.engine.replay import replay_and_compare
from projections.engine.runner import Projector, projector_env
from projections.facts import fact_mapper
from projections.views.timeline import audit_timeline
from services.adapters.settings import Settings
from services.application.commands.recommendations import DraftRecommendation, Tags
from services.application.executor import Executor
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander, authority
from tests.projections.scenario import Scenario, positions, wait_for

TABLES = [t.name for spec in select(None) for t in spec.view.tables]


def snapshot(database_url: str, schema: str) -> dict[str, list[tuple[object, ...]]]:
    with psycopg.connect(database_url) as conn:
        return {
            name: sorted(conn.execute(f'SELECT * FROM "{schema}".{name}').fetchall(), key=str)
            for name in TABLES
        }


def shown_timelines(database_url: str, settings: Settings, scenario: Scenario) -> bytes:
    """The audit timelines as the API sends them: JSON, the documents' key order included
    (read from the events: a rebuild cannot change them)."""
    ids = [scenario.answered, scenario.late, scenario.overdue, scenario.draft, scenario.repeat]
    mapper = fact_mapper(projector_env(settings, database_url))
    with psycopg.connect(database_url) as conn:
        schema = settings.database_schema
        return orjson.dumps([audit_timeline(conn, schema, i, mapper) for i in ids])


def test_rebuilt_views_equal_the_live_ones(
    scenario: Scenario, settings: Settings, database_url: str, schema: str
) -> None:
    live = snapshot(database_url, schema)
    assert live["status_recommendations"] and live["statistics_actions"]
    shown = shown_timelines(database_url, settings, scenario)
    assert b'"details":{' in shown
    # A database from before the audit timeline was read from the events: a rebuild
    # drops the audit view's tables.
    with psycopg.connect(database_url) as conn:
        for retired in RETIRED_TABLES:
            conn.execute(f'CREATE TABLE IF NOT EXISTS "{schema}".{retired} (x int)')
    result = rebuild(projector_env(settings, database_url), database_url, schema, select(None))
    assert result.positions["status"] == scenario.last_notification
    assert snapshot(database_url, schema) == live
    assert shown_timelines(database_url, settings, scenario) == shown
    with psycopg.connect(database_url) as conn:
        left = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            [schema],
        ).fetchall()
    assert not {name for (name,) in left} & set(RETIRED_TABLES)
    report = replay_and_compare(projector_env(settings, database_url), database_url, schema)
    assert report.consistent, report.differences
    assert report.live_digests == report.replayed_digests


def test_audit_replay_names_a_hand_altered_row(
    scenario: Scenario,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["audit", "replay"]) == 0
    assert "views match the events" in capsys.readouterr().out
    with psycopg.connect(database_url) as conn:
        conn.execute(
            f'UPDATE "{schema}".status_recommendations SET status = %s '
            "WHERE recommendation_id = %s",
            ("closed", scenario.late),
        )
    assert main(["audit", "replay"]) == 1
    captured = capsys.readouterr()
    assert "DIFFERS" in captured.out
    assert f"status_recommendations [recommendation_id={scenario.late}] differs" in captured.err
    assert "status" in captured.err


def test_rebuild_command_reports_a_rate(
    scenario: Scenario,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["projections", "rebuild", "status"]) == 0
    out = capsys.readouterr()
    assert "rebuilt status:" in out.out and "events/s" in out.out
    assert main(["projections", "status"]) == 0
    status_out = capsys.readouterr().out
    assert f"log position: {scenario.last_notification}" in status_out
    assert "status" in status_out and "statistics" in status_out


def test_projector_killed_mid_way_resumes_with_exact_counts(
    run: Commander, settings: Settings, database_url: str, schema: str
) -> None:
    ministry = authority(run)
    count = 250
    for index in range(count):
        rec = run(
            DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text=f"Recommendation {index}",
                authority_id=ministry,
                tags=Tags(themes=[f"theme {index % 5}"]),
                issued_on=date(2026, 1, 5) if index % 2 else None,
            )
        )
    assert rec.notification_id is not None
    head = rec.notification_id

    env = {
        **os.environ,
        "RECTRACK_DATABASE_URL": database_url,
        "RECTRACK_DATABASE_SCHEMA": schema,
        # Pages of two events: several transactions per view, so the kill lands between
        # pages of a projector that is still working.
        "RECTRACK_PROJECTOR_PAGE_SIZE": "2",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from services.cli import main; sys.exit(main(['projector']))",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(
            lambda: min(positions(database_url, schema)[0].values()) > 20,
            timeout=60,
            what="the projector to process some events",
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    killed_at, _ = positions(database_url, schema)
    assert min(killed_at.values()) < head, "the projector finished before it was killed"

    restarted = Projector(settings, database_url)
    restarted.start()
    try:
        wait_until_caught_up(database_url, schema, head, timeout=120)
    finally:
        restarted.stop()
    issued = count // 2
    with psycopg.connect(database_url) as conn:

        def one(sql: str) -> object:
            row = conn.execute(sql.replace("S.", f'"{schema}".')).fetchone()
            assert row is not None
            return row[0]

        assert one("SELECT count(*) FROM S.status_recommendations") == count
        assert (
            one("SELECT count(*) FROM S.status_recommendations WHERE status = 'issued'") == issued
        )
        # every event applied once: a recommendation's version is its events' count
        assert one("SELECT sum(version) FROM S.status_recommendations") == count + issued
        assert one("SELECT sum(n) FROM S.trends_counts WHERE period = '2026'") == count
        assert one("SELECT count(*) FROM S.scorecard_recommendations WHERE year = 2026") == issued
    report = replay_and_compare(projector_env(settings, database_url), database_url, schema)
    assert report.consistent, report.differences


def test_encrypted_store_projects_and_verifies(
    database_url: str, schema: str, tmp_path: Path
) -> None:
    key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # 32 bytes, base64
    settings = Settings(
        database_url=database_url,
        database_schema=schema,
        encryption_key=key,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    from services.adapters.database import eventsourcing_env
    from services.adapters.signing import generate_key
    from services.adapters.transparency import checkpoint, verify_log

    app = Rectrack(env=eventsourcing_env(settings, database_url))
    try:
        run = Commander(Executor(app))
        ministry = authority(run)
        rec = run(
            DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text="Secret text " + uuid.uuid4().hex,
                authority_id=ministry,
                issued_on=date(2026, 1, 5),
            )
        )
    finally:
        app.close()
    with psycopg.connect(database_url) as conn:
        row = conn.execute(f'SELECT state FROM "{schema}".rectrack_events LIMIT 1').fetchone()
        assert row is not None and b"Ministry" not in bytes(row[0])  # encrypted at rest
    # The signed log hashes the stored ciphertext: it checks out without the key.
    signing = generate_key(tmp_path / "signing.key")
    checkpoint(database_url, schema, signing, tmp_path / "checkpoints.jsonl")
    assert verify_log(database_url, schema, tmp_path / "checkpoints.jsonl", signing.public_key()).ok
    projector = Projector(settings, database_url)
    projector.start()
    try:
        assert rec.notification_id is not None
        wait_until_caught_up(database_url, schema, rec.notification_id, timeout=30)
    finally:
        projector.stop()
    with psycopg.connect(database_url) as conn:
        status = conn.execute(
            f'SELECT status FROM "{schema}".status_recommendations WHERE recommendation_id = %s',
            (rec.aggregate_id,),
        ).fetchone()
    assert status == ("issued",)
    report = replay_and_compare(projector_env(settings, database_url), database_url, schema)
    assert report.consistent, report.differences
