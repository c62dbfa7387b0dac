"""The database URL is passed whole to every connection: a managed PostgreSQL needs its
`sslmode`, `sslrootcert` and other libpq parameters on each of them. Each kind of
connection here carries a URL with its own `application_name`, and the server's
pg_stat_activity must show it, which it does only if the URL's parameters arrived."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest

from projections.engine.runner import Projector
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.api.app import create_app
from services.application.runtime import build_runtime
from services.application.store import Rectrack


def _url(database_url: str, name: str) -> str:
    joiner = "&" if "?" in database_url else "?"
    return f"{database_url}{joiner}application_name={name}&sslmode=disable&connect_timeout=5"


def _sessions(database_url: str, name: str, *, waiting: bool = False) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
            + (" AND wait_event_type = 'Lock'" if waiting else ""),
            (name,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def _named(settings: Settings, database_url: str, kind: str) -> tuple[str, Settings]:
    name = f"rt-{kind}-{uuid.uuid4().hex[:8]}"
    url = _url(database_url, name)
    return name, settings.model_copy(update={"database_url": url})


def test_event_store_relay_views_and_api_keep_the_urls_parameters(
    settings: Settings, database_url: str
) -> None:
    # The event store (the executor, the relay and the worker share its pool).
    name, store_settings = _named(settings, database_url, "store")
    assert store_settings.database_url is not None
    app = Rectrack(env=eventsourcing_env(store_settings, store_settings.database_url))
    try:
        app.recorder.max_notification_id()
        assert _sessions(database_url, name) >= 1
    finally:
        app.close()

    # The projector's runners: their application readers and their view recorders.
    name, view_settings = _named(settings, database_url, "views")
    assert view_settings.database_url is not None
    projector = Projector(view_settings, view_settings.database_url, ["status"])
    projector.start()
    try:
        assert _sessions(database_url, name) >= 2
    finally:
        projector.stop()

    # The API's read pool, with its own server options added to the URL's.
    name, api_settings = _named(settings, database_url, "api")
    runtime = build_runtime(api_settings)
    api = create_app(runtime)
    pool = api.state.read_pool
    pool.open(wait=True)
    try:
        with pool.connection() as conn:
            row = conn.execute("SHOW lock_timeout").fetchone()
        assert row is not None and row[0] == f"{settings.lock_timeout_seconds}s"
        assert _sessions(database_url, name) >= 2  # the store's pool and the read pool
    finally:
        pool.close()
        runtime.close()


def test_a_cli_command_connects_with_the_urls_parameters(
    settings: Settings, database_url: str
) -> None:
    """A CLI connection is short: it is caught while it waits for a lock the test holds."""
    Rectrack(env=eventsourcing_env(settings, database_url)).close()  # creates the tables
    name = f"rt-cli-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "RECTRACK_DATABASE_URL": _url(database_url, name),
        "RECTRACK_DATABASE_SCHEMA": settings.database_schema,
        "RECTRACK_LOCK_TIMEOUT_SECONDS": "30",
    }
    with psycopg.connect(database_url) as holder:
        holder.execute(f'LOCK TABLE "{settings.database_schema}".rectrack_events')
        cli = subprocess.Popen(
            [str(Path(sys.executable).with_name("rectrack")), "projections", "status"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 20
            while not _sessions(database_url, name, waiting=True):
                if cli.poll() is not None or time.monotonic() > deadline:
                    out = cli.stdout.read().decode() if cli.stdout else ""
                    pytest.fail(f"no CLI session named {name} waited for the lock: {out}")
                time.sleep(0.1)
        finally:
            holder.rollback()
    assert cli.wait(timeout=20) == 0
