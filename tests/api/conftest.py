"""API fixtures: the real application on a per-test schema, served in-process through
Starlette's test client, with an administrator token to start from."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from domain.user import user_id_for
from domain.values import Role
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.api import create_app
from services.application.bootstrap import issue_user_token
from services.application.commands.users import SetPassword
from services.application.executor import Caller, Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack

# Who sets up what a test needs beyond users (the tasks a workflow would open).
SETUP = Caller("test-setup", Role.SYSTEM.value)


# The password make_user gives everyone (it passes the policy: long, not common, no name).
TEST_PASSWORD = "amber-lantern-orbit-7731"


class Login(str):
    """A user's fresh token (a str, for `bearer()`) that also names the username and the
    password the browser tests' `sign_in` types into the sign-in form."""

    username: str
    password: str

    def __new__(cls, token: str, username: str, password: str) -> Login:
        login = super().__new__(cls, token)
        login.username = username
        login.password = password
        return login


def make_user(
    executor: Executor, username: str, role: Role, authority_id: UUID | None = None
) -> Login:
    """Creates a user with one role and the password TEST_PASSWORD, and returns a fresh
    token for it (which also carries the username and password, for signing in)."""
    token = issue_user_token(
        executor, username, username, role, label="test", authority_id=authority_id
    )
    set_password(executor, username, TEST_PASSWORD)
    return Login(token, username, TEST_PASSWORD)


def set_password(executor: Executor, username: str, password: str) -> None:
    executor.execute(SetPassword(password=password), SETUP, target_id=user_id_for(username))  # type: ignore[arg-type]


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
