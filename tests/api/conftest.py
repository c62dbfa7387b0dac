"""API fixtures: the real application on a per-test schema, served in-process through
Starlette's test client, with an administrator token to start from."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.values import Role
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.api import create_app
from services.application.bootstrap import issue_user_token
from services.application.executor import Caller, Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack

# Who sets up what a test needs beyond users (the tasks a workflow would open).
SETUP = Caller("test-setup", Role.SYSTEM.value)


def make_user(
    executor: Executor, username: str, role: Role, authority_id: UUID | None = None
) -> str:
    """Creates a user with one role and returns a fresh token for it."""
    return issue_user_token(
        executor, username, username, role, label="test", authority_id=authority_id
    )


@pytest.fixture
def runtime(settings: Settings, database_url: str, app: Rectrack) -> Iterator[Runtime]:
    # The real projector keeps the views the list, inbox and statistics endpoints read.
    projector = Projector(settings, database_url)
    projector.start()
    yield Runtime(settings=settings, database_url=database_url, app=app)
    projector.stop()


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, read_pool_size=2), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def admin_token(executor: Executor) -> str:
    return make_user(executor, "admin", Role.ADMIN)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
