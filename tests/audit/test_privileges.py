"""Least privilege: the runtime role appends events and reads them, and nothing more."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest

from projections.engine.rebuild import rebuild
from projections.engine.registry import select
from projections.engine.runner import projector_env
from services.adapters.database import eventsourcing_env
from services.adapters.privileges import as_role, create_roles, role_of, set_up_roles
from services.adapters.settings import Settings
from services.application.database_roles import prepare_as_superuser
from services.application.executor import Executor
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander, authority

RUNTIME = "rectrack_test_runtime"
OWNER = "rectrack_test_owner"


def test_runtime_role_may_insert_events_but_not_change_them(
    run: Commander, database_url: str, schema: str
) -> None:
    authority(run)
    set_up_roles(database_url, schema, OWNER, RUNTIME)
    events = f'"{schema}".rectrack_events'
    runtime_url = as_role(database_url, RUNTIME)
    with psycopg.connect(runtime_url, autocommit=True) as conn:
        # What the library does on every append: the exclusive lock, then the insert.
        with conn.transaction():
            conn.execute(f"LOCK TABLE {events} IN EXCLUSIVE MODE")
            conn.execute(
                f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, 'x', '\\x00')",
                (uuid4(),),
            )
        assert conn.execute(f"SELECT count(*) FROM {events}").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"UPDATE {events} SET state = '\\x01'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DELETE FROM {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"TRUNCATE {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'DELETE FROM "{schema}".rectrack_events_commands')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DROP TRIGGER rectrack_append_only ON {events}")
        assert conn.execute(f"SELECT count(*) FROM {events}").fetchone() == (2,)


def test_processes_run_as_the_runtime_role_write_rebuild_and_cannot_rewrite(
    database_url: str, schema: str, settings: Settings
) -> None:
    runtime_url = prepare_as_superuser(settings, database_url, OWNER, RUNTIME)
    assert role_of(runtime_url) == RUNTIME
    app = Rectrack(env=eventsourcing_env(settings, runtime_url))  # leaves the owner's tables
    try:
        run = Commander(Executor(app))
        authority(run)  # the normal write path, as the runtime role
        authority(run, name="Ministry of Health")
        assert app.recorder.max_notification_id() == 2
    finally:
        app.close()
    env = projector_env(settings, runtime_url)
    first = rebuild(env, runtime_url, schema, select(None))
    again = rebuild(env, runtime_url, schema, select(None))  # swaps the tables it made
    assert first.events == again.events == 2
    events = f'"{schema}".rectrack_events'
    with psycopg.connect(runtime_url, autocommit=True) as conn:
        owner = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = %s",
            (schema, "rectrack_events"),
        ).fetchone()
        assert owner == (OWNER,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"UPDATE {events} SET state = '\\x01'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DELETE FROM {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"TRUNCATE {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"ALTER TABLE {events} DISABLE TRIGGER rectrack_append_only")
        assert conn.execute(f"SELECT count(*) FROM {events}").fetchone() == (2,)


def test_migrate_creates_tables_as_the_owner_for_the_runtime_role(
    database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a deployment's administrator does once: two roles, the schema the owner's.
    create_roles(database_url, OWNER, RUNTIME)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'ALTER SCHEMA "{schema}" OWNER TO {OWNER}')
    monkeypatch.setenv("RECTRACK_DATABASE_OWNER_URL", as_role(database_url, OWNER))
    monkeypatch.setenv("RECTRACK_DATABASE_URL", as_role(database_url, RUNTIME))
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["migrate"]) == 0
    assert main(["migrate"]) == 0  # again, on every deploy: harmless
    settings = Settings(database_schema=schema, _env_file=None)  # type: ignore[call-arg]
    app = Rectrack(env=eventsourcing_env(settings, as_role(database_url, RUNTIME)))
    try:
        authority(Commander(Executor(app)))
    finally:
        app.close()
    runtime = psycopg.connect(as_role(database_url, RUNTIME), autocommit=True)
    with runtime, pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        runtime.execute(f'UPDATE "{schema}".rectrack_events SET state = state')
