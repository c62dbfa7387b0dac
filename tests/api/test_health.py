"""Liveness and readiness for process supervisors: /readyz answers 200 while the database
answers and 503, saying why, when it does not; /healthz needs no database at all."""

from __future__ import annotations

from fastapi.testclient import TestClient
from psycopg_pool import ConnectionPool

from services.api import create_app
from services.application.runtime import Runtime


def test_ready_while_the_database_answers(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"


def test_not_ready_when_the_database_does_not_answer(runtime: Runtime) -> None:
    api = create_app(runtime, read_pool_size=1)
    # Nothing listens on port 1: every connection attempt fails at once.
    api.state.read_pool = ConnectionPool(
        "postgresql://postgres@127.0.0.1:1/none", min_size=0, max_size=1, open=False
    )
    with TestClient(api) as client:
        assert client.get("/healthz").status_code == 200
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"
    assert answer.json()["detail"]
