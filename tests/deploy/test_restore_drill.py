"""The restore drill: back up a record whose deadlines run in Temporal, wipe the schema,
take a fresh Temporal server, restore, reconcile; the signed log verifies, the views
equal those before, and every deadline workflow runs again with its dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest
from psycopg.sql import SQL, Identifier
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from projections.engine import shapes
from projections.engine.rebuild import rebuild
from projections.engine.registry import VIEWS, select
from projections.engine.runner import projector_env
from services.adapters.backup import TABLES
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.adapters.signing import generate_key
from services.adapters.transparency import checkpoint, leaves_path
from services.application.executor import Executor
from services.application.store import Rectrack
from services.cli import main
from tests.workflows.conftest import Deadlines
from workflows.converter import DATA_CONVERTER
from workflows.reconcile import reconcile
from workflows.worker import binary, build_worker

D = date


def views(database_url: str, schema: str) -> dict[str, list[str]]:
    """Every row of every view table, as text, sorted: the read models' whole content."""
    with psycopg.connect(database_url) as conn:
        names = [
            str(r[0])
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
                "AND table_type = 'BASE TABLE'",
                (schema,),
            ).fetchall()
        ]
        # The views' own tables: sessions, lockouts and other short-lived state (not part
        # of the record, not in a backup) are not read models.
        view_tables = {t.name for spec in select(None) for t in spec.view.tables}
        out = {}
        for name in sorted(names):
            if name in TABLES or "tracking" in name or name not in view_tables:
                continue
            rows = conn.execute(
                SQL("SELECT t::text FROM {0}.{1} t").format(Identifier(schema), Identifier(name))
            ).fetchall()
            out[name] = sorted(str(r[0]) for r in rows)
    return out


async def test_back_up_wipe_restore_reconcile_verify(
    deadlines: Deadlines,
    settings: Settings,
    database_url: str,
    schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    authority = deadlines.authority(period=30)
    _, recs = deadlines.report_sent(authority, D(2030, 4, 1), recommendations=3)
    await deadlines.relay_all()
    key_file, checkpoints = tmp_path / "audit" / "signing.key", tmp_path / "audit" / "cp.jsonl"
    checkpoint(database_url, schema, generate_key(key_file), checkpoints)
    env = projector_env(settings, database_url)
    rebuild(env, database_url, schema, select(None))
    before = views(database_url, schema)
    assert len(before["status_recommendations"]) == 3  # the views are not empty
    for name, value in {
        "RECTRACK_DATABASE_URL": database_url,
        "RECTRACK_DATABASE_SCHEMA": schema,
        "RECTRACK_AUDIT_SIGNING_KEY_FILE": str(key_file),
        "RECTRACK_AUDIT_CHECKPOINT_FILE": str(checkpoints),
    }.items():
        monkeypatch.setenv(name, value)
    backup = tmp_path / "rectrack.backup"

    assert main(["backup", str(backup)]) == 0

    # The disaster: the schema, the checkpoint files and Temporal are all gone.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))
        conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(schema)))
    checkpoints.unlink()
    leaves_path(checkpoints).unlink()
    capsys.readouterr()

    assert main(["restore", str(backup)]) == 0
    assert "restored" in capsys.readouterr().out
    assert views(database_url, schema) == before
    assert checkpoints.exists() and leaves_path(checkpoints).exists()
    public_key = checkpoints.with_name("public.key")
    assert (
        main(
            ["audit", "verify", "--checkpoints", str(checkpoints), "--public-key", str(public_key)]
        )
        == 0
    )
    assert "extends all 1 signed heads" in capsys.readouterr().out
    # A second restore onto the record is refused, and changes nothing.
    assert main(["restore", str(backup)]) == 1
    assert "already holds rows" in capsys.readouterr().err

    fresh = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    app = Rectrack(env=eventsourcing_env(settings, database_url))
    executor = Executor(app)
    try:
        async with build_worker(fresh.client, executor, settings.task_queue, cache_workflows=False):
            report = await reconcile(settings, executor, fresh.client, today=D(2030, 4, 2))
            found = {f.workflow_id: (f.found, f.restarted) for f in report.findings}
            # One obligation for the report's three recommendations, as before the loss.
            assert list(found.values()) == [("missing", True)]
            (workflow_id,) = found
            original = await deadlines.state(deadlines.client.get_workflow_handle(workflow_id))
            handle = fresh.client.get_workflow_handle(workflow_id)
            assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
            state = await handle.query("status")
            assert sorted(state["pending"]) == sorted(str(r) for r in recs)
            assert (state["due_on"], state["dues"]) == (original["due_on"], original["dues"])
            assert state["due_on"] == "2030-05-02"
    finally:
        app.close()
        await fresh.shutdown()


def test_migrate_creates_every_table_before_any_process_starts(
    database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)

    assert main(["migrate"]) == 0

    with psycopg.connect(database_url) as conn:
        tables = {
            str(r[0])
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            ).fetchall()
        }
    assert set(TABLES) <= tables
    assert {"status_recommendations", "inbox_tasks", "statistics_escalations"} <= tables
    with psycopg.connect(database_url) as conn:
        # created from nothing, so in the code's shape: the projector's start rebuilds none
        assert shapes.recorded(conn, schema) == {
            name: shapes.shape_digest(spec.view) for name, spec in VIEWS.items()
        }


def test_backup_and_restore_refuse_with_a_reason_and_leave_no_file(
    database_url: str,
    schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    target = tmp_path / "nightly" / "rectrack.backup"

    assert main(["backup", str(target)]) == 1  # the schema has no event store yet
    assert f"schema {schema} has no event store" in capsys.readouterr().err
    assert not target.exists() and not list(target.parent.iterdir())

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    assert main(["restore", str(not_a_backup)]) == 1
    assert "not a readable rectrack backup" in capsys.readouterr().err
