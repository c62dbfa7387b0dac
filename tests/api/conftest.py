"""API fixtures: the real application on a per-test schema, served in-process through
Starlette's test client, with an administrator token to start from."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.values import EventMeta, Role
from projections.runner import Projector
from services.adapters.settings import Settings
from services.api import create_app
from services.application.runtime import Runtime
from services.application.store import Rectrack


def system_meta() -> EventMeta:
    return EventMeta("test-setup", "system", date.today(), str(uuid4()))


def make_user(app: Rectrack, username: str, role: Role, authority_id: UUID | None = None) -> str:
    """Creates a user with one role and returns a fresh token for it."""
    user_id = app.create_user(system_meta(), username=username, display_name=username).aggregate_id
    app.grant_role(system_meta(), user_id, role=role, authority_id=authority_id)
    _, new = app.issue_token(system_meta(), user_id, label="test")
    assert new is not None
    return new.token


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
def admin_token(app: Rectrack) -> str:
    return make_user(app, "admin", Role.ADMIN)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
