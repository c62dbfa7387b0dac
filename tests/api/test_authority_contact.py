"""An authority's contact details (where its letters and e-mails go, and their language):
recorded through the API as a whole, read back on the authority, and refused field by
field with nothing appended when they are malformed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.authority import Authority
from services.application.store import Rectrack
from tests.api.conftest import bearer

ADDRESS = "Ministère de la Justice\nBureau du greffe\n13 place Vendôme\n75001 Paris"


def _authority(client: TestClient, token: str) -> str:
    response = client.post(
        "/api/v1/authorities",
        json={
            "name": "Ministère de la Justice",
            "kind": "ministry",
            "jurisdiction": "FR",
            "reply_period_days": 60,
            "urgent_reply_period_days": 10,
        },
        headers=bearer(token),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _put(client: TestClient, token: str, authority: str, body: dict[str, Any]) -> Any:
    return client.put(f"/api/v1/authorities/{authority}/contact", json=body, headers=bearer(token))


def test_contact_details_are_recorded_and_read_back(
    client: TestClient, admin_token: str, app: Rectrack
) -> None:
    authority = _authority(client, admin_token)
    before = client.get(f"/api/v1/authorities/{authority}", headers=bearer(admin_token)).json()
    assert before["contact"] == {"email": None, "postal_address": None, "language": "en"}

    answer = _put(
        client,
        admin_token,
        authority,
        {
            "email": " greffe@justice.example ",
            "postal_address": ADDRESS,
            "language": "fr",
        },
    )
    assert answer.status_code == 200, answer.text
    read = client.get(f"/api/v1/authorities/{authority}", headers=bearer(admin_token)).json()
    assert read["contact"] == {
        "email": "greffe@justice.example",
        "postal_address": ADDRESS,
        "language": "fr",
    }
    events = list(app.repository.event_store.get(read["id"]))
    assert type(events[-1]) is Authority.ContactRecorded

    # The details are replaced as a whole: the e-mail left out is cleared.
    assert _put(client, admin_token, authority, {"language": "ru"}).status_code == 200
    again = client.get(f"/api/v1/authorities/{authority}", headers=bearer(admin_token)).json()
    assert again["contact"] == {"email": None, "postal_address": None, "language": "ru"}


def test_malformed_contact_details_name_the_field_and_append_nothing(
    client: TestClient, admin_token: str
) -> None:
    authority = _authority(client, admin_token)
    version = client.get(f"/api/v1/authorities/{authority}", headers=bearer(admin_token)).json()[
        "version"
    ]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"email": "not an address"}, "email", "e-mail address"),
        ({"email": "a@b.example, c@d.example"}, "email", "e-mail address"),
        ({"postal_address": "\n".join(["line"] * 9)}, "postal_address", "at most 8 lines"),
        ({"postal_address": "x" * 201}, "postal_address", "at most 200 characters"),
        ({"language": "de"}, "language", "en"),
    ]
    for body, field, words in cases:
        answer = _put(client, admin_token, authority, body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.text and words in answer.text, (body, answer.text)
    after = client.get(f"/api/v1/authorities/{authority}", headers=bearer(admin_token)).json()
    assert after["version"] == version
