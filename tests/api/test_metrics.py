"""The API's /metrics: requests counted by route template (not by raw path) with their
latencies, and the executor's command outcomes, in Prometheus' text format."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def _value(text: str, series: str) -> float:
    match = re.search(rf"^{re.escape(series)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_by_route_and_commands_by_outcome(
    client: TestClient, admin_token: str
) -> None:
    before = client.get("/metrics").text
    missing = "/api/v1/recommendations/00000000-0000-0000-0000-000000000000"
    for _ in range(2):
        assert client.get(missing, headers=bearer(admin_token)).status_code == 404
    body = {"name": "", "kind": "ministry", "jurisdiction": "DE"}
    assert client.post("/api/v1/authorities", json=body, headers=bearer(admin_token)).status_code
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    text = answer.text
    route = 'route="/api/v1/recommendations/{recommendation_id}"'
    series = f'rectrack_http_requests_total{{method="GET",{route},status="404"}}'
    assert _value(text, series) - _value(before, series) == 2
    # One series per route template, none per recommendation id.
    assert "00000000-0000-0000-0000-000000000000" not in text
    assert f'rectrack_http_request_seconds_count{{method="GET",{route}}}' in text
    # The token was issued through the executor: at least one command applied.
    assert re.search(r'rectrack_commands_total\{command="[A-Za-z]+",outcome="applied"\}', text)
