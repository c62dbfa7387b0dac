"""The new fields through the API (real PostgreSQL, the real projector): drafting with a
source, several recommending bodies, session, cycle and SDGs; changing them
(`POST .../origin`); the list filtered by source, body and SDG; replies without a
position and several replies; a bad SDG or source is a 422 naming the field and the
rule and appends nothing; an authority's liaison sees the origin (it is publishable);
statistics per recommending body."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from domain.values import Role
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import bearer, make_user

RECS = "/api/v1/recommendations"


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1{path}?wait=true", json=body, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _authority(client: TestClient, token: str) -> str:
    body = {
        "name": "Ministry of Foreign Affairs",
        "kind": "ministry",
        "jurisdiction": "DE",
        "reply_period_days": 30,
        "urgent_reply_period_days": 5,
    }
    return str(_post(client, token, "/authorities", body)["id"])


def test_origin_fields_filters_replies_and_statistics(
    client: TestClient, admin_token: str, executor: Executor
) -> None:
    authority = _authority(client, admin_token)
    issued_on = (date.today() - timedelta(days=10)).isoformat()
    upr = _post(
        client,
        admin_token,
        "/recommendations",
        {
            "kind": "annual_report",
            "text": "Ratify the Optional Protocol to the Convention against Torture",
            "authority_id": authority,
            "issued_on": issued_on,
            "source": "UPR",
            "recommending_bodies": ["Denmark", "Costa Rica", "Chile"],
            "session": "43rd session",
            "cycle": "4th",
            "sdgs": ["16.a", "16"],
            "external_id": "A/HRC/52/8 para 45.12",
        },
    )["id"]
    cpt = _post(
        client,
        admin_token,
        "/recommendations",
        {"kind": "visit", "text": "Record every use of force", "authority_id": authority,
         "issued_on": issued_on, "source": "cpt", "recommending_bodies": ["CPT"]},
    )["id"]  # fmt: skip

    one = client.get(f"{RECS}/{upr}", headers=bearer(admin_token)).json()
    assert one["source"] == "upr"
    assert one["recommending_bodies"] == ["Denmark", "Costa Rica", "Chile"]
    assert (one["session"], one["cycle"], one["sdgs"]) == ("43rd session", "4th", ["16", "16.a"])
    assert one["historic"] is False and one["historic_before"] is None

    def listed(**query: str) -> set[str]:
        page = client.get(RECS, params=query, headers=bearer(admin_token))
        assert page.status_code == 200, page.text
        return {item["recommendation_id"] for item in page.json()["items"]}

    assert listed(source="upr") == {upr}
    assert listed(source="CPT") == {cpt}
    assert listed(body="costa rica") == {upr}
    assert listed(sdg="16") == listed(sdg="16.A") == {upr}
    assert listed(sdg="5") == set()

    # a reply under consideration, then a position, then a progress reply
    for day, position in ((1, None), (5, "partially_accepted"), (8, None)):
        body = {
            "received_on": (date.today() - timedelta(days=10 - day)).isoformat(),
            "text": f"reply {day}",
            **({"position": position} if position else {}),
        }
        _post(client, admin_token, f"/recommendations/{upr}/responses", body)
    one = client.get(f"{RECS}/{upr}", headers=bearer(admin_token)).json()
    assert [r["position"] for r in one["responses"]] == [None, "partially_accepted", None]
    assert one["position"] == "partially_accepted" and one["status"] == "responded"
    row = client.get(RECS, params={"source": "upr"}, headers=bearer(admin_token)).json()
    assert row["items"][0]["position"] == "partially_accepted"
    assert row["items"][0]["responses"] == 3

    # the origin changes by an event; the history says so in words
    _post(client, admin_token, f"/recommendations/{upr}/origin", {"cycle": "3rd"})
    one = client.get(f"{RECS}/{upr}", headers=bearer(admin_token)).json()
    assert one["cycle"] == "3rd" and one["recommending_bodies"][0] == "Denmark"
    history = client.get(f"{RECS}/{upr}/history", headers=bearer(admin_token)).json()
    lines = [e["summary"] for e in history["events"]]
    assert any(
        "from the Universal Periodic Review (cycle 4th, session 43rd session); recommended "
        "by Denmark, Costa Rica and Chile; SDG 16, 16.a" in line
        for line in lines
    ), lines
    assert any("changed its origin; from the Universal Periodic Review (cycle 3rd" in line
               for line in lines), lines  # fmt: skip
    assert any("no position yet" in line for line in lines), lines

    # an authority's liaison sees where a recommendation comes from
    liaison = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=authority)  # type: ignore[arg-type]
    seen = client.get(f"{RECS}/{upr}", headers=bearer(liaison)).json()
    assert seen["source"] == "upr" and seen["sdgs"] == ["16", "16.a"]
    assert "staff" not in seen

    figures = client.get(
        "/api/v1/stats/figures", params={"by": "recommending_body"}, headers=bearer(admin_token)
    )
    assert figures.status_code == 200, figures.text
    groups = {g["group"]: g["issued"] for g in figures.json()["groups"]}
    assert groups == {"Denmark": 1, "Costa Rica": 1, "Chile": 1, "CPT": 1}


def test_bad_values_are_422s_naming_the_field_and_append_nothing(
    client: TestClient, admin_token: str, app: Rectrack
) -> None:
    authority = _authority(client, admin_token)
    base = {"kind": "visit", "text": "Open the yard", "authority_id": authority}
    before = app.recorder.max_notification_id()
    for extra, field, rule in (
        ({"sdgs": ["16", "18"]}, "sdgs.1", "there are 17 goals, numbered 1 to 17"),
        ({"sdgs": ["16.11"]}, "sdgs.0", "which has 16.1 to 16.10 and 16.a to 16.b"),
        ({"source": "UN"}, "source", "'upr'"),
        ({"recommending_bodies": ["x" * 201]}, "recommending_bodies.0", "at most 200"),
        ({"session": "s" * 101}, "session", "at most 100"),
    ):
        refused = client.post(RECS, json={**base, **extra}, headers=bearer(admin_token))
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == field
        assert rule in refused.json()["rule"], refused.json()
    listed = client.get(RECS, params={"sdg": "16.99"}, headers=bearer(admin_token))
    assert listed.status_code == 422 and listed.json()["field"] == "sdg"
    rec = _post(client, admin_token, "/recommendations", base)["id"]
    after_draft = app.recorder.max_notification_id()
    unchanged = client.post(f"{RECS}/{rec}/origin", json={"sdgs": []}, headers=bearer(admin_token))
    assert unchanged.status_code == 422 and unchanged.json()["field"] == "origin"
    empty = client.post(f"{RECS}/{rec}/origin", json={}, headers=bearer(admin_token))
    assert empty.status_code == 422 and "give at least one of" in empty.json()["rule"]
    assert app.recorder.max_notification_id() == after_draft
    assert before is not None and after_draft is not None and after_draft > before
