"""A user's e-mail address and language (where the daily or weekly digest goes, and the
language it is written in): set by an administrator through the API, read back on the
user, refused naming the field with nothing appended when malformed."""

from __future__ import annotations

from fastapi.testclient import TestClient

from domain.user import User, user_id_for
from domain.values import Role
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import bearer, make_user


def test_an_admin_sets_a_users_address_and_language(
    client: TestClient, admin_token: str, executor: Executor, app: Rectrack
) -> None:
    make_user(executor, "hedda", Role.CASEWORKER)
    admin = bearer(admin_token)
    body = {"email": "hedda@npm.example.org", "language": "ru"}
    put = client.put("/api/v1/users/hedda/contact", json=body, headers=admin)
    assert put.status_code == 200, put.text
    shown = client.get("/api/v1/users/hedda", headers=admin).json()
    assert (shown["email"], shown["language"]) == ("hedda@npm.example.org", "ru")

    version = app.get(User, user_id_for("hedda")).version
    bad = client.put(
        "/api/v1/users/hedda/contact",
        json={"email": "hedda at npm", "language": "ru"},
        headers=admin,
    )
    assert bad.status_code == 422
    assert "email" in bad.text and "e-mail address" in bad.text
    unknown = client.put(
        "/api/v1/users/hedda/contact", json={"email": None, "language": "de"}, headers=admin
    )
    assert unknown.status_code == 422 and "language" in unknown.text
    assert app.get(User, user_id_for("hedda")).version == version  # nothing appended

    cleared = client.put("/api/v1/users/hedda/contact", json={"email": None}, headers=admin)
    assert cleared.status_code == 200
    assert client.get("/api/v1/users/hedda", headers=admin).json()["email"] is None


def test_anyone_signed_in_sets_their_own_address_and_language(
    client: TestClient, executor: Executor, app: Rectrack
) -> None:
    token = make_user(executor, "lia", Role.CASEWORKER)
    me = bearer(token)
    # Every profile starts in English, not chosen: the web UI follows the browser's language.
    fresh = client.get("/api/v1/me", headers=me).json()
    assert (fresh["language"], fresh["language_chosen"]) == ("en", False)
    put = client.put(
        "/api/v1/me/contact", json={"email": "lia@npm.example.org", "language": "es"}, headers=me
    )
    assert put.status_code == 200, put.text
    shown = client.get("/api/v1/me", headers=me).json()
    assert (shown["email"], shown["language"]) == ("lia@npm.example.org", "es")
    assert shown["language_chosen"] is True
    event = list(app.events.get(user_id_for("lia")))[-1]
    assert type(event).__qualname__ == "User.ContactRecorded"
    assert event.meta.actor_id == str(user_id_for("lia"))  # type: ignore[attr-defined]


def test_picking_english_with_the_same_address_records_the_choice(
    client: TestClient, executor: Executor, app: Rectrack
) -> None:
    """English is every profile's default: saving it unchanged is still a choice, or the
    browser's language would keep winning over it."""
    me = bearer(make_user(executor, "ines", Role.CASEWORKER))
    body = {"email": None, "language": "en"}
    assert client.put("/api/v1/me/contact", json=body, headers=me).status_code == 200
    shown = client.get("/api/v1/me", headers=me).json()
    assert (shown["language"], shown["language_chosen"]) == ("en", True)
    version = app.get(User, user_id_for("ines")).version
    assert client.put("/api/v1/me/contact", json=body, headers=me).status_code == 200
    assert app.get(User, user_id_for("ines")).version == version  # the same choice again: no event
