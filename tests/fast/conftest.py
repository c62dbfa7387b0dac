"""The fast tier: the domain and application rules on the in-memory store, with no
database at all. Each test gets a fresh store; the whole tier runs in a couple of seconds.

The shared fixtures in tests/conftest.py that reach PostgreSQL (`database_url`, and through
it `schema`, `settings` and `app`) are overridden here to fail, and connecting with psycopg
is refused, so a fast test that needs a database errors at once instead of quietly
starting one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

import psycopg
import pytest
from eventsourcing.persistence import JSONTranscoder

from services.adapters.memory_store import MEMORY_ENV
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import DAY, Commander


def _no_database(*_: object, **__: object) -> NoReturn:
    raise RuntimeError("the fast tier runs without PostgreSQL: move this test elsewhere")


@pytest.fixture(scope="session")
def database_url() -> str:
    _no_database()


@pytest.fixture(autouse=True)
def _refuse_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(psycopg, "connect", _no_database)
    monkeypatch.setattr(psycopg.Connection, "connect", _no_database)


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[Rectrack]:
    memory = Rectrack(env=MEMORY_ENV)
    _as_the_library_writes(memory, monkeypatch)
    yield memory
    memory.close()


def _as_the_library_writes(store: Rectrack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every event the fast tier stores is checked to be the bytes the library's own
    transcoder writes (the store's writes through orjson: services/adapters/event_json.py)."""
    exact = store.mapper.transcoder
    library = JSONTranscoder()
    store.register_transcodings(library)
    encode = exact.encode

    def compared(obj: Any) -> bytes:
        written = encode(obj)
        assert written == library.encode(obj), f"not the library's bytes: {obj!r}"
        return written

    monkeypatch.setattr(exact, "encode", compared)


@pytest.fixture
def executor(store: Rectrack) -> Executor:
    """An executor whose clock says DAY, so "today" is the same on every run."""
    return Executor(store, clock=lambda: DAY)


@pytest.fixture
def run(executor: Executor) -> Commander:
    return Commander(executor)
