"""The read endpoints the web UI and other tools build on: the authority and place lists,
a place's history, a recommendation's audit timeline (before -> after in words) and the
status counts as they stood on a past date. Everything is written through the API and
read back after the views have caught up (`?wait=true`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from tests.api.conftest import bearer


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1{path}?wait=true", json=body, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    assert response.json()["views_caught_up"] is True
    return dict(response.json())


def test_lists_place_history_timeline_and_status_as_of(
    client: TestClient, admin_token: str
) -> None:
    authority = _post(
        client,
        admin_token,
        "/authorities",
        {
            "name": "Ministry of the Interior",
            "kind": "ministry",
            "jurisdiction": "DE",
            "reply_period_days": 30,
            "urgent_reply_period_days": 5,
        },
    )["id"]
    place = _post(
        client,
        admin_token,
        "/places",
        {"name": "Police station Nord", "place_type": "police_custody", "authority_id": authority},
    )["id"]
    issued_on = date.today() - timedelta(days=3)
    rec = _post(
        client,
        admin_token,
        "/recommendations",
        {
            "kind": "visit",
            "text": "Record every detention in the custody register",
            "authority_id": authority,
            "place_id": place,
            "issued_on": issued_on.isoformat(),
            "tags": {"keywords": ["Register"], "vulnerable_groups": ["women"]},
        },
    )["id"]
    _post(
        client,
        admin_token,
        f"/recommendations/{rec}/responses",
        {"received_on": date.today().isoformat(), "position": "accepted", "text": "Agreed."},
    )
    headers = bearer(admin_token)

    authorities = client.get("/api/v1/authorities", headers=headers).json()["items"]
    assert [(a["name"], a["recommendations"]) for a in authorities] == [
        ("Ministry of the Interior", 1)
    ]
    places = client.get(f"/api/v1/places?authority_id={authority}", headers=headers).json()
    assert [(p["name"], p["authority_name"]) for p in places["items"]] == [
        ("Police station Nord", "Ministry of the Interior")
    ]

    def listed(query: str) -> list[str]:
        response = client.get(f"/api/v1/recommendations?{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [item["recommendation_id"] for item in response.json()["items"]]

    assert listed("place_type=police_custody&kind=visit") == [rec]
    assert listed("place_type=prison") == []
    assert listed("kind=urgent") == []
    assert listed("keyword=register&group=women") == [rec]
    assert listed("keyword=custody") == []
    assert listed("group=children") == []
    wrong = client.get("/api/v1/recommendations?place_type=spaceship", headers=headers)
    assert wrong.status_code == 422
    assert wrong.json()["problems"][0]["field"] == "place_type"

    report = _post(
        client,
        admin_token,
        "/reports",
        {
            "kind": "visit_report",
            "title": "Visit to Police station Nord",
            "report_date": "2026-01-10",
        },
    )["id"]
    reports = client.get("/api/v1/reports", headers=headers).json()["items"]
    assert [(r["report_id"], r["title"], r["recommendations"]) for r in reports] == [
        (report, "Visit to Police station Nord", 0)
    ]

    history = client.get(f"/api/v1/places/{place}/history", headers=headers).json()
    assert [r["recommendation_id"] for r in history["recommendations"]] == [rec]
    assert history["outcomes"] == {"responded": 1}
    missing = client.get(f"/api/v1/places/{authority}/history", headers=headers)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"

    timeline = client.get(f"/api/v1/recommendations/{rec}/timeline", headers=headers).json()
    events = [entry["event"] for entry in timeline["entries"]]
    assert events == ["Drafted", "Issued", "ResponseReceived"]
    status_change = [c for c in timeline["entries"][-1]["changes"] if c["field"] == "status"]
    assert status_change == [{"field": "status", "before": "issued", "after": "responded"}]

    def counts(day: date) -> dict[str, int]:
        response = client.get(
            f"/api/v1/stats/status-as-of?date={day}&basis=recorded", headers=headers
        )
        assert response.status_code == 200, response.text
        return dict(response.json()["counts"])

    assert counts(date.today()).get("responded") == 1
    # Recorded today: on yesterday's books it did not exist yet, whatever its business date.
    assert sum(counts(date.today() - timedelta(days=1)).values()) == 0
    business = client.get(
        f"/api/v1/stats/status-as-of?date={issued_on}&basis=business", headers=headers
    ).json()
    assert business["counts"].get("issued") == 1
    bad = client.get("/api/v1/stats/status-as-of?date=not-a-date", headers=headers)
    assert bad.status_code == 422
    assert "date" in bad.text


def test_nul_characters_are_refused_at_the_edge_and_append_nothing(
    client: TestClient, admin_token: str, app: Any
) -> None:
    """A NUL could be stored in an event (JSON escapes it) but no view's text column can
    hold it, so one would stop the projections for good: the edge refuses it."""
    headers = bearer(admin_token)
    before = app.recorder.max_notification_id()
    body = {
        "name": "Ministry\x00of Justice",
        "kind": "ministry",
        "jurisdiction": "DE",
        "reply_period_days": 30,
        "urgent_reply_period_days": 5,
    }
    refused = client.post("/api/v1/authorities", json=body, headers=headers)
    assert refused.status_code == 422
    problems = refused.json()["problems"]
    assert [p["field"] for p in problems] == ["name"]
    assert "NUL" in problems[0]["rule"]
    assert app.recorder.max_notification_id() == before
    search = client.get("/api/v1/recommendations?q=a%00b", headers=headers)
    assert search.status_code == 422
    assert search.json()["problems"][0]["field"] == "q"


def test_the_reply_policy_and_ladder_in_force_on_any_date(
    client: TestClient, admin_token: str
) -> None:
    headers = bearer(admin_token)
    authority = _post(
        client,
        admin_token,
        "/authorities",
        {
            "name": "Ministry of Health",
            "kind": "ministry",
            "jurisdiction": "DE",
            "reply_period_days": 60,
            "urgent_reply_period_days": 10,
            "escalation_ladder": [
                {"action": "reminder", "addressee": "hospital director", "wait_days": 14}
            ],
        },
    )["id"]
    _post(
        client,
        admin_token,
        f"/authorities/{authority}/reply-policy",
        {
            "effective_from": "2026-07-01",
            "period_days": 30,
            "day_kind": "working",
            "urgent_period_days": 5,
        },
    )
    _post(
        client,
        admin_token,
        f"/authorities/{authority}/escalation-ladder",
        {
            "effective_from": "2026-09-01",
            "levels": [{"action": "letter", "addressee": "minister", "wait_days": 30}],
        },
    )

    def on(day: str) -> dict[str, Any]:
        response = client.get(f"/api/v1/authorities/{authority}?on={day}", headers=headers)
        assert response.status_code == 200, response.text
        return dict(response.json())

    june = on("2026-06-30")
    assert (june["reply_policy"]["period_days"], june["reply_policy"]["effective_from"]) == (
        60,
        None,
    )
    assert june["escalation_ladder"]["levels"][0]["addressee"] == "hospital director"
    july = on("2026-07-01")
    assert july["reply_policy"] == {
        "effective_from": "2026-07-01",
        "period_days": 30,
        "day_kind": "working",
        "urgent_period_days": 5,
        "clock_starts": "sending",
    }
    assert july["escalation_ladder"]["levels"][0]["addressee"] == "hospital director"
    autumn = on("2026-09-01")
    assert autumn["escalation_ladder"]["levels"][0]["addressee"] == "minister"
    assert [p["period_days"] for p in autumn["policies"]] == [60, 30]
    # A policy change made on a stale read of the authority is refused.
    stale = client.post(
        f"/api/v1/authorities/{authority}/reply-policy",
        json={
            "effective_from": "2026-12-01",
            "period_days": 20,
            "day_kind": "working",
            "urgent_period_days": 5,
        },
        headers={**headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert [p["period_days"] for p in on("2026-12-01")["policies"]] == [60, 30]
    unknown = client.get(f"/api/v1/authorities/{uuid4()}", headers=headers)
    assert unknown.status_code == 404
