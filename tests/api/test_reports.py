"""Reports in the API (issue 10): registered and sent in one request, all or nothing, and
listed with each sending's reply due date per authority."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1{path}?wait=true", json=body, headers=bearer(token))


def _authority(client: TestClient, token: str, name: str, period: int) -> str:
    body = {
        "name": name,
        "kind": "ministry",
        "jurisdiction": "DE",
        "reply_period_days": period,
        "urgent_reply_period_days": 5,
    }
    response = _post(client, token, "/authorities", body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_register_and_send_in_one_request_and_list_due_dates(
    client: TestClient, admin_token: str
) -> None:
    headers = bearer(admin_token)
    ministry = _authority(client, admin_token, "Ministry of Justice", 30)
    police = _authority(client, admin_token, "Police Directorate", 60)
    report = {"kind": "visit_report", "title": "Visit to Prison A", "report_date": "2026-01-05"}

    refused = _post(
        client,
        admin_token,
        "/reports",
        {**report, "send_to": [ministry, str(uuid4())], "sent_on": "2026-02-01"},
    )
    assert refused.status_code == 422, refused.text
    assert "send_to[1]" in refused.text
    assert client.get("/api/v1/reports", headers=headers).json()["items"] == []

    created = _post(
        client, admin_token, "/reports", {**report, "send_to": [ministry], "sent_on": "2026-02-01"}
    )
    assert created.status_code == 201, created.text
    report_id = created.json()["id"]
    sent = _post(
        client,
        admin_token,
        f"/reports/{report_id}/sending",
        {"authority_id": police, "sent_on": "2026-02-10"},
    )
    assert sent.status_code == 200, sent.text

    (item,) = client.get("/api/v1/reports", headers=headers).json()["items"]
    assert item["title"] == "Visit to Prison A" and item["report_date"] == "2026-01-05"
    assert [(s["authority_name"], s["sent_on"], s["reply_due"]) for s in item["sendings"]] == [
        ("Ministry of Justice", "2026-02-01", "2026-03-03"),
        ("Police Directorate", "2026-02-10", "2026-04-13"),
    ]
