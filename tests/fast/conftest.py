"""The fast tier: the domain and application rules on the in-memory store, with no
database at all. Each test gets a fresh store; the whole tier runs in a couple of seconds.

The shared fixtures in tests/conftest.py that reach PostgreSQL (`database_url`, and through
it `schema`, `settings` and `app`) are overridden here to fail, and connecting with psycopg
is refused, so a fast test that needs a database errors at once instead of quietly
starting one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NoReturn

import psycopg
import pytest

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
def store() -> Iterator[Rectrack]:
    memory = Rectrack(env=MEMORY_ENV)
    yield memory
    memory.close()


@pytest.fixture
def executor(store: Rectrack) -> Executor:
    """An executor whose clock says DAY, so "today" is the same on every run."""
    return Executor(store, clock=lambda: DAY)


@pytest.fixture
def run(executor: Executor) -> Commander:
    return Commander(executor)
