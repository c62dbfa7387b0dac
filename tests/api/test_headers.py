"""Security headers on every kind of response the API process sends: JSON (authenticated
and public), HTML pages (the web UI, /docs, the annual report), static files, the OpenAPI
document, downloads, metrics, redirects and errors (404, 422, 500), and HSTS over TLS."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from domain.values import Role
from services.api.app import build_api
from services.application.executor import Executor
from tests.api.conftest import bearer, make_user

UI_POLICY_START = "default-src 'none'; script-src 'self'; style-src 'self';"


@pytest.fixture
def auditor(executor: Executor) -> dict[str, str]:
    return bearer(make_user(executor, "aude", Role.AUDITOR))


def nosniff(response: Response) -> None:
    assert response.headers.get("x-content-type-options") == "nosniff", response.url
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]


def policy(response: Response) -> str:
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, response.url
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";")[0]
    return csp


def test_authenticated_json_is_not_stored(client: TestClient, auditor: dict[str, str]) -> None:
    for path in ("/api/v1/recommendations", "/api/v1/me", "/api/v1/stats/authorities"):
        answer = client.get(path, headers=auditor)
        assert answer.status_code == 200, answer.text
        nosniff(answer)
        assert answer.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in answer.headers  # plain HTTP


def test_public_and_anonymous_answers_are_not_marked_private(client: TestClient) -> None:
    for path in ("/healthz", "/public/v1/register", "/api/v1/openapi.json", "/metrics"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        nosniff(answer)
        assert answer.headers.get("cache-control") != "no-store", path


def test_every_html_page_has_a_policy(client: TestClient, auditor: dict[str, str]) -> None:
    for path in ("/ui/", "/ui/register.html"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        nosniff(page)
        assert policy(page).startswith(UI_POLICY_START)
    docs = client.get("/docs")
    nosniff(docs)
    policy(docs)
    # No inline script on the docs page: its start-up script is a file of its own.
    assert re.findall(r"<script>", docs.text) == []
    assert "/docs/init.js" in docs.text
    init = client.get("/docs/init.js")
    assert init.status_code == 200 and "/api/v1/openapi.json" in init.text
    nosniff(init)
    report = client.get(
        f"/api/v1/stats/annual-report?year={date.today().year}&format=html", headers=auditor
    )
    assert report.status_code == 200, report.text
    nosniff(report)
    policy(report)
    assert report.headers["cache-control"] == "no-store"


def test_static_files_and_downloads(client: TestClient, auditor: dict[str, str]) -> None:
    for path in ("/ui/app.js", "/ui/style.css", "/docs/assets/swagger-ui.css"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        nosniff(answer)
    sheet = client.get(f"/api/v1/stats/annual-report?year={date.today().year}", headers=auditor)
    assert sheet.status_code == 200
    assert "attachment" in sheet.headers["content-disposition"]
    nosniff(sheet)
    assert sheet.headers["cache-control"] == "no-store"
    redirect = client.get("/", follow_redirects=False)
    assert redirect.status_code == 307
    nosniff(redirect)


def test_errors_carry_the_headers(client: TestClient, auditor: dict[str, str]) -> None:
    missing = client.get("/api/v1/no-such-thing", headers=auditor)
    assert missing.status_code == 404
    nosniff(missing)
    assert missing.headers["cache-control"] == "no-store"
    invalid = client.get("/api/v1/stats/annual-report?year=nineteen", headers=auditor)
    assert invalid.status_code == 422
    nosniff(invalid)
    unauthenticated = client.get("/api/v1/recommendations")
    assert unauthenticated.status_code == 401
    nosniff(unauthenticated)


def test_an_unexpected_error_carries_the_headers() -> None:
    api = build_api()

    @api.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(api, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/boom", headers={"Authorization": "Bearer x"})
    assert answer.status_code == 500
    nosniff(answer)
    assert answer.headers["cache-control"] == "no-store"


def test_hsts_only_over_tls() -> None:
    with TestClient(build_api(), base_url="https://testserver") as client:
        assert "max-age=" in client.get("/healthz").headers["strict-transport-security"]
    forwarded = {"X-Forwarded-Proto": "https"}
    with TestClient(build_api()) as client:
        assert "strict-transport-security" not in client.get("/healthz").headers
        # A proxy's header is believed only when the operator says so.
        assert "strict-transport-security" not in client.get("/healthz", headers=forwarded).headers
    with TestClient(build_api(trust_proxy_headers=True)) as client:
        answer = client.get("/healthz", headers=forwarded)
        assert "includeSubDomains" in answer.headers["strict-transport-security"]
