"""The API's safeguards, over HTTP: ending a recommendation says why; the four-eyes rule
(RECTRACK_FOUR_EYES); an unknown id in a body is a 422 naming the field; an
Idempotency-Key reused for another body is a 422; a database that is down or locked is a
503 with Retry-After and a stable code, for writes and view reads alike; a date the
calendar cannot go past is a 422; a body over the size limit is a 413 before it is
parsed; /docs needs no internet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import uuid4

import psycopg
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from psycopg_pool import ConnectionPool

from domain.values import DOUBLE_SMART_CRITERIA, Role
from services.adapters.database import eventsourcing_env
from services.api import create_app
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, drafted_recommendation, issued_recommendation

RECS = "/api/v1/recommendations"


@pytest.fixture
def caseworker(executor: Executor) -> dict[str, str]:
    return bearer(make_user(executor, "carla", Role.CASEWORKER))


def test_close_and_withdraw_need_a_reason(
    client: TestClient, run: Commander, caseworker: dict[str, str]
) -> None:
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=5))
    for action in ("closure", "withdrawal"):
        for body in ({}, {"reason": "  "}):
            refused = client.post(f"{RECS}/{rec}/{action}", json=body, headers=caseworker)
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == "reason"
    closed = client.post(
        f"{RECS}/{rec}/closure", json={"reason": "implemented and verified"}, headers=caseworker
    )
    assert closed.status_code == 200, closed.text


def test_four_eyes_rule_when_switched_on(
    runtime: Runtime, executor: Executor, run: Commander
) -> None:
    strict = Runtime(
        settings=runtime.settings.model_copy(update={"four_eyes": True}),
        database_url=runtime.database_url,
        app=runtime.app,
    )
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    dora = bearer(make_user(executor, "dora", Role.CASEWORKER))
    ministry = authority(run)
    review = {"criteria": dict.fromkeys(DOUBLE_SMART_CRITERIA, True)}
    with TestClient(create_app(strict, read_pool_size=1)) as client:
        drafted = client.post(
            RECS,
            json={"kind": "visit", "text": "Open the yard", "authority_id": str(ministry)},
            headers=carla,
        )
        assert drafted.status_code == 201, drafted.text
        rec = drafted.json()["id"]
        for path, body in (
            (f"{RECS}/{rec}/reviews", review),
            (f"{RECS}/{rec}/issue", {"issued_on": date.today().isoformat()}),
        ):
            refused = client.post(path, json=body, headers=carla)
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "four_eyes_rule"
            assert "four-eyes rule" in refused.json()["message"]
            assert "drafter" in refused.json()["rule"]
            assert client.post(path, json=body, headers=dora).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "field", "kind"),
    [
        (RECS, {"kind": "visit", "text": "x"}, "authority_id", "authority"),
        (RECS, {"kind": "visit", "text": "x", "place_id": "MISSING"}, "place_id", "place"),
        (RECS, {"kind": "visit", "text": "x", "report_id": "MISSING"}, "report_id", "report"),
        (RECS, {"kind": "visit", "text": "x", "visit_id": "MISSING"}, "visit_id", "visit"),
    ],
)
def test_an_unknown_id_in_a_body_is_a_422_naming_the_field(
    client: TestClient,
    run: Commander,
    caseworker: dict[str, str],
    path: str,
    body: dict[str, str],
    field: str,
    kind: str,
) -> None:
    missing = str(uuid4())
    ministry = str(authority(run))
    sent = {"authority_id": missing if field == "authority_id" else ministry, **body}
    sent = {k: missing if v == "MISSING" else v for k, v in sent.items()}
    refused = client.post(path, json=sent, headers=caseworker)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["field"], refused.json()["rule"]) == (field, f"no {kind} with this id")


def test_an_unknown_earlier_recommendation_is_a_422(
    client: TestClient, run: Commander, caseworker: dict[str, str]
) -> None:
    rec = drafted_recommendation(run, authority(run))
    refused = client.post(
        f"{RECS}/{rec}/reiterations", json={"earlier_id": str(uuid4())}, headers=caseworker
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == "earlier_id"
    # an unknown target stays a 404
    gone = client.post(
        f"{RECS}/{uuid4()}/reiterations", json={"earlier_id": str(rec)}, headers=caseworker
    )
    assert gone.status_code == 404


def test_an_idempotency_key_reused_with_another_body_is_a_422(
    client: TestClient, app: Rectrack, run: Commander, caseworker: dict[str, str]
) -> None:
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=5))
    url = f"{RECS}/{rec}/follow-ups"
    keyed = {**caseworker, "Idempotency-Key": "follow-up-1"}
    first = client.post(url, json={"kind": "letter", "summary": "Asked for a plan"}, headers=keyed)
    assert first.status_code == 200, first.text
    before = app.recorder.max_notification_id()
    again = client.post(url, json={"kind": "letter", "summary": "Asked for a plan"}, headers=keyed)
    assert again.status_code == 200 and again.json()["replayed"]
    other = client.post(url, json={"kind": "letter", "summary": "Something else"}, headers=keyed)
    assert other.status_code == 422, other.text
    assert other.json()["field"] == "Idempotency-Key"
    assert "different request" in other.json()["rule"]
    assert app.recorder.max_notification_id() == before


def test_status_as_of_a_date_at_the_end_of_the_calendar_is_a_422(
    client: TestClient, executor: Executor
) -> None:
    auditor = bearer(make_user(executor, "aude", Role.AUDITOR))
    for day in ("9999-12-31", "0001-01-01"):
        answer = client.get("/api/v1/stats/status-as-of", params={"date": day}, headers=auditor)
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "date"
    fine = client.get("/api/v1/stats/status-as-of", params={"date": "2026-01-05"}, headers=auditor)
    assert fine.status_code == 200


# --- the database down or locked --------------------------------------------------------------


def assert_unavailable(answer: Response, code: str) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == code
    assert int(answer.headers["Retry-After"]) >= 1
    assert "127.0.0.1" not in answer.text and "SELECT" not in answer.text.upper()


@pytest.fixture
def impatient(runtime: Runtime) -> Iterator[Runtime]:
    """The test's runtime with a one-second lock timeout."""
    settings = runtime.settings.model_copy(update={"lock_timeout_seconds": 1})
    app = Rectrack(env=eventsourcing_env(settings, runtime.database_url))
    yield Runtime(settings=settings, database_url=runtime.database_url, app=app)
    app.close()


@pytest.fixture
def locker(runtime: Runtime) -> Iterator[psycopg.Connection]:
    with psycopg.connect(runtime.database_url) as conn:
        yield conn
        conn.rollback()


def test_a_locked_event_store_is_a_503_not_a_500(
    impatient: Runtime, locker: psycopg.Connection, executor: Executor, run: Commander
) -> None:
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=5))
    schema = impatient.settings.database_schema
    locker.execute(f'LOCK TABLE "{schema}".rectrack_events IN ACCESS EXCLUSIVE MODE')
    with TestClient(create_app(impatient, read_pool_size=1), raise_server_exceptions=False) as c:
        answer = c.post(
            f"{RECS}/{rec}/follow-ups", json={"kind": "letter", "summary": "x"}, headers=carla
        )
    assert_unavailable(answer, "database_busy")


def test_a_locked_view_answers_503_within_the_lock_timeout(
    impatient: Runtime, locker: psycopg.Connection, executor: Executor
) -> None:
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    schema = impatient.settings.database_schema
    with TestClient(create_app(impatient, read_pool_size=1), raise_server_exceptions=False) as c:
        assert c.get(RECS, headers=carla).status_code == 200
        locker.execute(f'LOCK TABLE "{schema}".status_recommendations IN ACCESS EXCLUSIVE MODE')
        answer = c.get(RECS, headers=carla)
    assert_unavailable(answer, "database_busy")


def test_a_database_that_does_not_answer_is_a_503(runtime: Runtime, executor: Executor) -> None:
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    api = create_app(runtime, read_pool_size=1)
    with TestClient(api, raise_server_exceptions=False) as client:
        # Nothing listens on port 1: every connection attempt fails at once.
        api.state.read_pool = ConnectionPool(
            "postgresql://postgres@127.0.0.1:1/none", min_size=0, max_size=1, timeout=1
        )
        answer = client.get(RECS, headers=carla)
        ready = client.get("/readyz")
        api.state.read_pool.close()
    assert_unavailable(answer, "database_unavailable")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "detail": "the database does not answer"}


# --- the size of a body, and the docs --------------------------------------------------------


def test_a_body_over_the_limit_is_a_413_before_it_is_parsed(
    runtime: Runtime, run: Commander, executor: Executor
) -> None:
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    small = Runtime(
        settings=runtime.settings.model_copy(update={"max_request_bytes": 4096}),
        database_url=runtime.database_url,
        app=runtime.app,
    )
    ministry = str(authority(run))
    body = {"kind": "visit", "text": "x" * 5000, "authority_id": ministry}
    with TestClient(create_app(small, read_pool_size=1)) as client:
        declared = client.post(RECS, json=body, headers=carla)
        assert declared.status_code == 413, declared.text
        assert declared.json()["code"] == "request_too_large"

        # no Content-Length: the body is counted as it streams in
        def chunks() -> Iterator[bytes]:
            data = json.dumps(body).encode()
            for i in range(0, len(data), 1000):
                yield data[i : i + 1000]

        streamed = client.post(
            RECS, content=chunks(), headers={**carla, "Content-Type": "application/json"}
        )
        assert streamed.status_code == 413, streamed.text
        assert streamed.json()["code"] == "request_too_large"
        fits = client.post(RECS, json={**body, "text": "x" * 1000}, headers=carla)
        assert fits.status_code == 201, fits.text


def test_docs_are_served_without_a_cdn(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "https://" not in page.text
    assert "/docs/assets/swagger-ui-bundle.js" in page.text
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text[:5000]
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200
