"""A backup taken before the signed log replaced the per-aggregate hash chain still
restores: the retired chain table in it is left out, everything else is loaded."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest

from services.adapters import backup
from services.adapters.database import ensure_schema
from services.application.store import Rectrack
from tests.builders import Commander, authority


def test_a_backup_holding_the_retired_chain_restores_without_it(
    run: Commander,
    app: Rectrack,
    database_url: str,
    schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    authority(run)
    authority(run, name="Ministry of Health")
    with psycopg.connect(database_url) as conn:
        conn.execute(
            f'CREATE TABLE "{schema}".rectrack_events_chain (originator_id uuid, '
            "originator_version bigint, prev_hash bytea, hash bytea)"
        )
        conn.execute(
            f'INSERT INTO "{schema}".rectrack_events_chain '
            f"SELECT originator_id, originator_version, '\\x00', '\\x00' FROM \"{schema}\""
            ".rectrack_events"
        )
    # The table list of that time, so the file looks like one taken then.
    monkeypatch.setattr(backup, "TABLES", (backup.TABLES[0], *backup.RETIRED, *backup.TABLES[1:]))
    file = tmp_path / "old.zip"
    manifest = backup.take_backup(database_url, schema, file, {})
    assert manifest.rows["rectrack_events_chain"] == 2

    target = f"t_{uuid.uuid4().hex[:12]}"
    ensure_schema(database_url, target)
    try:
        with psycopg.connect(database_url) as conn:
            for table in ("rectrack_events", "rectrack_events_commands"):
                conn.execute(
                    f'CREATE TABLE "{target}".{table} (LIKE "{schema}".{table} INCLUDING ALL)'
                )
        restored = backup.load_tables(database_url, target, file)
        assert restored.rows["rectrack_events"] == 2
        with psycopg.connect(database_url) as conn:
            count = conn.execute(f'SELECT count(*) FROM "{target}".rectrack_events').fetchone()
            assert count == (2,)
            missing = conn.execute("SELECT to_regclass(%s)", (f'"{target}".rectrack_events_chain',))
            assert missing.fetchone() == (None,)
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{target}" CASCADE')
