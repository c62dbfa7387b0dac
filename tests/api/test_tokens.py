"""API tokens over HTTP: scopes enforced (403 naming the scope), expiry, listing and
revoking by the owner and by an administrator, and revocation seen on the next request by
every API process: two real uvicorn processes, each with its own cache and listener."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta

import httpx
import pytest
from fastapi.testclient import TestClient

from domain.tokens import TokenScope
from domain.user import user_id_for
from domain.values import Role
from services.adapters.settings import Settings
from services.application.bootstrap import issue_token
from services.application.commands.users import RevokeToken
from services.application.executor import Caller, Executor
from tests.api.conftest import bearer, make_user
from tests.ports import free_port

AUTHORITY = {
    "name": "Ministry of Justice",
    "kind": "ministry",
    "jurisdiction": "DE",
    "reply_period_days": 30,
    "urgent_reply_period_days": 5,
}
ADMIN_CLI = Caller("cli:test", Role.ADMIN.value)


def machine_token(executor: Executor, username: str, role: Role, scope: TokenScope) -> str:
    make_user(executor, username, role)
    return issue_token(executor, ADMIN_CLI, user_id_for(username), "bot", scope).token


def test_a_read_token_reads_and_cannot_write(client: TestClient, executor: Executor) -> None:
    token = machine_token(executor, "reader-bot", Role.CASEWORKER, TokenScope.READ)
    assert client.get("/api/v1/recommendations", headers=bearer(token)).status_code == 200
    refused = client.post("/api/v1/authorities", json=AUTHORITY, headers=bearer(token))
    assert refused.status_code == 403
    body = refused.json()
    assert body["code"] == "forbidden" and body["rule"] == "scope write"
    assert "scope is read" in body["message"] and "scope write" in body["message"]
    me = client.get("/api/v1/me", headers=bearer(token)).json()
    assert "draft" not in me["abilities"] and "read" in me["abilities"]


def test_a_write_token_writes_but_cannot_manage_users(
    client: TestClient, executor: Executor
) -> None:
    token = machine_token(executor, "writer-bot", Role.ADMIN, TokenScope.WRITE)
    created = client.post("/api/v1/authorities", json=AUTHORITY, headers=bearer(token))
    assert created.status_code == 201, created.text
    refused = client.post(
        "/api/v1/users", json={"username": "eve", "display_name": "Eve"}, headers=bearer(token)
    )
    assert refused.status_code == 403 and refused.json()["rule"] == "scope admin"
    minted = client.post("/api/v1/me/tokens", json={"scope": "admin"}, headers=bearer(token))
    assert minted.status_code == 403  # a narrower token cannot breed a wider one


def test_an_admin_issues_lists_and_revokes_a_scoped_token(
    client: TestClient, executor: Executor, admin_token: str
) -> None:
    make_user(executor, "robot", Role.COMPLIANCE)
    admin = bearer(admin_token)
    issued = client.post(
        "/api/v1/users/robot/tokens",
        json={"label": "nightly export", "scope": "read", "days": 30},
        headers=admin,
    )
    assert issued.status_code == 201, issued.text
    new = issued.json()
    assert new["scope"] == "read"
    assert new["expires_on"] == (date.today() + timedelta(days=30)).isoformat()
    listed = client.get("/api/v1/users/robot/tokens", headers=admin).json()
    mine = next(t for t in listed if t["token_id"] == new["token_id"])
    assert mine["label"] == "nightly export" and mine["scope"] == "read"
    assert mine["legacy"] is False and "token" not in mine
    too_long = client.post("/api/v1/users/robot/tokens", json={"days": 400}, headers=admin)
    assert too_long.status_code == 422 and too_long.json()["field"] == "days"
    assert client.get("/api/v1/me", headers=bearer(new["token"])).status_code == 200
    gone = client.delete(f"/api/v1/users/robot/tokens/{new['token_id']}", headers=admin)
    assert gone.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(new["token"])).status_code == 401


def test_the_owner_lists_mints_and_revokes_its_own_tokens(
    client: TestClient, executor: Executor
) -> None:
    person = bearer(make_user(executor, "hedda", Role.CASEWORKER))
    minted = client.post(
        "/api/v1/me/tokens", json={"label": "script", "scope": "write", "days": 7}, headers=person
    )
    assert minted.status_code == 201, minted.text
    script = minted.json()
    listed = client.get("/api/v1/me/tokens", headers=bearer(script["token"])).json()
    assert {t["label"]: t["scope"] for t in listed} == {"test": "admin", "script": "write"}
    revoked = client.delete(
        f"/api/v1/me/tokens/{script['token_id']}", headers=bearer(script["token"])
    )
    assert revoked.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(script["token"])).status_code == 401
    assert client.get("/api/v1/me", headers=person).status_code == 200


def test_an_expired_token_is_refused(client: TestClient, executor: Executor) -> None:
    token = machine_token(executor, "short-bot", Role.AUDITOR, TokenScope.READ)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    authenticator = client.app.state.authenticator  # type: ignore[attr-defined]
    authenticator.clock = lambda: date.today() + timedelta(days=90)
    refused = client.get("/api/v1/me", headers=bearer(token))
    assert refused.status_code == 401 and "expired" in refused.json()["message"]


# --- revocation across processes ------------------------------------------------------------


def _serve(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RECTRACK_DATABASE_URL": settings.database_url or "",
        "RECTRACK_DATABASE_SCHEMA": settings.database_schema,
        "RECTRACK_LOG_FORMAT": "json",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.api.serve:app_from_environment",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def two_api_processes(settings: Settings, app: object) -> Iterator[tuple[str, str]]:
    ports = [free_port(), free_port()]
    processes = [_serve(settings, port) for port in ports]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for url in urls:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the API processes did not start"
                time.sleep(0.2)
        yield urls[0], urls[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def _bot_token_id(url: str, token: str) -> str:
    listed = httpx.get(f"{url}/api/v1/me/tokens", headers=bearer(token)).json()
    return str(next(t["token_id"] for t in listed if t["label"] == "bot"))


def test_a_revocation_in_one_process_is_refused_by_the_other_on_the_next_request(
    two_api_processes: tuple[str, str], executor: Executor
) -> None:
    first, second = two_api_processes
    token = machine_token(executor, "replica-bot", Role.CASEWORKER, TokenScope.READ)
    other = machine_token(executor, "cli-bot", Role.CASEWORKER, TokenScope.READ)
    for url in (first, second):  # both processes now hold the users in their caches
        for held in (token, other):
            assert httpx.get(f"{url}/api/v1/me", headers=bearer(held)).status_code == 200
    token_id = _bot_token_id(first, token)

    revoked = httpx.delete(f"{first}/api/v1/me/tokens/{token_id}", headers=bearer(token))
    assert revoked.status_code == 200
    assert httpx.get(f"{second}/api/v1/me", headers=bearer(token)).status_code == 401

    # A revocation made outside any API process (the CLI's executor) reaches both.
    other_id = _bot_token_id(second, other)
    executor.execute(RevokeToken(token_id=other_id), ADMIN_CLI, target_id=user_id_for("cli-bot"))
    deadline = time.monotonic() + 1.0  # delivery is asynchronous, but milliseconds
    while httpx.get(f"{first}/api/v1/me", headers=bearer(other)).status_code != 401:
        assert time.monotonic() < deadline, "the revocation did not reach the first process"
    assert httpx.get(f"{second}/api/v1/me", headers=bearer(other)).status_code == 401
