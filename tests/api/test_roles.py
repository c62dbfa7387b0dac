"""The role matrix: every endpoint, called by every role, is allowed or refused exactly as
the table below says. The table is written out by hand (not derived from the server's
permission table), so a change of policy has to be made in both places on purpose; and
the test fails when an endpoint exists that the table does not mention.

"Allowed" means the request got past authorisation: any answer but 401 and 403 (the
bodies sent are empty, so an allowed write usually ends in 422 naming a missing field).
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

import pytest
from fastapi.testclient import TestClient

from domain.user import User, user_id_for
from domain.values import Role
from services.application.bootstrap import BOOTSTRAP
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, issued_recommendation

ADMIN, CASEWORKER, COMPLIANCE, AUDITOR, LIAISON = (
    Role.ADMIN,
    Role.CASEWORKER,
    Role.COMPLIANCE,
    Role.AUDITOR,
    Role.AUTHORITY_LIAISON,
)
EVERYONE = {ADMIN, CASEWORKER, COMPLIANCE, AUDITOR, LIAISON}
READERS = {ADMIN, CASEWORKER, COMPLIANCE, AUDITOR}
STAFF = {ADMIN, CASEWORKER}

MATRIX: dict[tuple[str, str], set[Role]] = {
    ("POST", "/api/v1/authorities"): STAFF,
    ("GET", "/api/v1/authorities"): READERS,
    ("GET", "/api/v1/authorities/{authority_id}"): READERS,
    ("GET", "/api/v1/places"): READERS,
    ("GET", "/api/v1/reports"): READERS,
    ("GET", "/api/v1/places/{place_id}/history"): READERS,
    ("POST", "/api/v1/authorities/{authority_id}/reply-policy"): STAFF,
    ("POST", "/api/v1/authorities/{authority_id}/escalation-ladder"): STAFF,
    ("PUT", "/api/v1/authorities/{authority_id}/contact"): STAFF,
    ("POST", "/api/v1/places"): STAFF,
    ("POST", "/api/v1/visits"): STAFF,
    ("POST", "/api/v1/reports"): STAFF,
    ("POST", "/api/v1/reports/{report_id}/sending"): STAFF,
    ("POST", "/api/v1/closure-days"): STAFF,
    ("POST", "/api/v1/recommendations"): STAFF,
    ("GET", "/api/v1/recommendations"): EVERYONE,
    ("GET", "/api/v1/recommendations/export"): EVERYONE,
    ("GET", "/api/v1/recommendations/{recommendation_id}"): EVERYONE,
    ("GET", "/api/v1/recommendations/{recommendation_id}/history"): EVERYONE,
    ("GET", "/api/v1/recommendations/{recommendation_id}/timeline"): EVERYONE,
    ("POST", "/api/v1/recommendations/{recommendation_id}/issue"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/reviews"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/reformulations"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/responses"): STAFF | {LIAISON},
    ("POST", "/api/v1/recommendations/{recommendation_id}/follow-ups"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/assessments"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/verifications"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/deadline-extensions"): STAFF
    | {COMPLIANCE},
    ("POST", "/api/v1/recommendations/{recommendation_id}/stakeholders"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/tags"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/origin"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/reiterations"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/withdrawal"): STAFF | {COMPLIANCE},
    ("POST", "/api/v1/recommendations/{recommendation_id}/closure"): STAFF | {COMPLIANCE},
    ("GET", "/api/v1/tasks"): READERS,
    ("POST", "/api/v1/tasks/{task_id}/claim"): STAFF | {COMPLIANCE},
    ("POST", "/api/v1/tasks/{task_id}/complete"): STAFF | {COMPLIANCE},
    ("POST", "/api/v1/tasks/{task_id}/reassign"): {ADMIN, COMPLIANCE},
    ("GET", "/api/v1/tasks/workers"): STAFF | {COMPLIANCE},
    ("GET", "/api/v1/stats/authorities"): EVERYONE,
    ("GET", "/api/v1/stats/themes"): EVERYONE,
    ("GET", "/api/v1/stats/status-as-of"): EVERYONE,
    ("GET", "/api/v1/stats/figures"): EVERYONE,
    ("GET", "/api/v1/stats/annual-report"): EVERYONE,
    ("GET", "/api/v1/me"): EVERYONE,
    ("POST", "/api/v1/users"): {ADMIN},
    ("GET", "/api/v1/users/{username}"): {ADMIN},
    ("POST", "/api/v1/users/{username}/roles"): {ADMIN},
    ("DELETE", "/api/v1/users/{username}/roles/{role}"): {ADMIN},
    ("GET", "/api/v1/users/{username}/tokens"): {ADMIN},
    ("POST", "/api/v1/users/{username}/tokens"): {ADMIN},
    ("GET", "/api/v1/me/tokens"): EVERYONE,
    ("GET", "/api/v1/access-records"): {ADMIN, AUDITOR},
    ("POST", "/api/v1/me/tokens"): EVERYONE,
    ("DELETE", "/api/v1/me/tokens/{token_id}"): EVERYONE,
    ("DELETE", "/api/v1/users/{username}/tokens/{token_id}"): {ADMIN},
    ("PUT", "/api/v1/users/{username}/contact"): {ADMIN},
    ("PUT", "/api/v1/me/contact"): EVERYONE,
    ("POST", "/api/v1/users/{username}/disable"): {ADMIN},
    ("POST", "/api/v1/recommendations/{recommendation_id}/evidence"): STAFF | {LIAISON},
    ("GET", "/api/v1/recommendations/{recommendation_id}/evidence"): EVERYONE,
    ("GET", "/api/v1/recommendations/{recommendation_id}/evidence/{sha256}"): EVERYONE,
    ("POST", "/api/v1/recommendations/{recommendation_id}/comments"): STAFF,
    ("POST", "/api/v1/recommendations/{recommendation_id}/publication"): STAFF,
    ("GET", "/api/v1/recommendations/{recommendation_id}/letters"): EVERYONE,
    ("GET", "/api/v1/recommendations/{recommendation_id}/letters/{sha256}"): EVERYONE,
    ("GET", "/api/v1/reports/{report_id}/letters"): EVERYONE,
    ("GET", "/api/v1/reports/{report_id}/letters/{sha256}"): EVERYONE,
    ("POST", "/api/v1/letters"): STAFF,
    ("GET", "/api/v1/session"): EVERYONE,
    ("DELETE", "/api/v1/session"): EVERYONE,
    ("DELETE", "/api/v1/sessions"): EVERYONE,
    ("POST", "/api/v1/users/{username}/password-reset"): {ADMIN},
    ("PUT", "/api/v1/me/password"): EVERYONE,
    ("GET", "/api/v1/me/totp/new"): EVERYONE,
    ("POST", "/api/v1/me/totp"): EVERYONE,
}

# What anyone may call without signing in: signing in itself (tests/api/test_signin.py,
# tests/api/test_oidc.py).
PUBLIC = {
    ("POST", "/api/v1/session"),
    ("POST", "/api/v1/session/link"),
    ("POST", "/api/v1/password-reset"),
    ("GET", "/api/v1/sign-in-options"),
    ("GET", "/api/v1/oidc/login"),
    ("GET", "/api/v1/oidc/callback"),
}


@pytest.fixture
def world(executor: Executor, run: Commander) -> dict[str, object]:
    authority_id = authority(run)
    recommendation_id = issued_recommendation(run, authority_id, date.today() - timedelta(days=10))
    tokens = {
        role: make_user(executor, role.value.replace("_", "-"), role, authority_id=authority_id)
        if role is LIAISON
        else make_user(executor, role.value, role)
        for role in EVERYONE
    }
    # The user endpoints act on a bystander, so that disabling it locks no tester out.
    make_user(executor, "bystander", Role.CASEWORKER)
    return {
        "tokens": tokens,
        "ids": {
            "authority_id": str(authority_id),
            "recommendation_id": str(recommendation_id),
            "report_id": str(uuid4()),
            "task_id": str(uuid4()),
            "username": "bystander",
            "role": "caseworker",
            "token_id": str(uuid4()),
            "place_id": str(uuid4()),
            "sha256": "0" * 64,
        },
    }


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation the OpenAPI document publishes under /api/v1."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return sorted(
        (method.upper(), path)
        for path, operations in paths.items()
        if path.startswith("/api/v1")
        for method in operations
    )


def test_the_matrix_names_every_endpoint(client: TestClient) -> None:
    assert set(api_routes(client)) == set(MATRIX) | PUBLIC


def test_every_role_on_every_endpoint(client: TestClient, world: dict[str, object]) -> None:
    tokens: dict[Role, str] = world["tokens"]  # type: ignore[assignment]
    ids: dict[str, str] = world["ids"]  # type: ignore[assignment]
    wrong: list[str] = []
    for (method, template), allowed in sorted(MATRIX.items()):
        path = template.format(**ids)
        for role in sorted(EVERYONE):
            body = {} if method == "POST" else None
            response = client.request(method, path, json=body, headers=bearer(tokens[role]))
            got_in = response.status_code not in (401, 403)
            if got_in != (role in allowed):
                wrong.append(f"{role.value:18} {method:6} {template}: {response.status_code}")
            if not got_in:
                assert response.json()["code"] == "forbidden"
    assert not wrong, "\n".join(wrong)


def test_no_token_is_401_everywhere(client: TestClient, world: dict[str, object]) -> None:
    ids: dict[str, str] = world["ids"]  # type: ignore[assignment]
    for method, template in MATRIX:
        response = client.request(method, template.format(**ids), json={})
        assert response.status_code == 401, (method, template)
        assert response.json()["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"] == "Bearer"
    bad = client.get("/api/v1/me", headers=bearer("rt_" + "0" * 32 + "_" + "x" * 43))
    assert bad.status_code == 401


def test_an_auditors_write_is_refused_and_appends_nothing(
    client: TestClient, world: dict[str, object], app: Rectrack
) -> None:
    tokens: dict[Role, str] = world["tokens"]  # type: ignore[assignment]
    ids: dict[str, str] = world["ids"]  # type: ignore[assignment]
    before = app.recorder.max_notification_id()
    response = client.post(
        f"/api/v1/recommendations/{ids['recommendation_id']}/follow-ups",
        json={"kind": "letter", "summary": "Wrote to the director"},
        headers=bearer(tokens[AUDITOR]),
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "auditor" in response.json()["message"]
    assert app.recorder.max_notification_id() == before
    # The same, well-formed write by a caseworker goes through: the refusal was the role's.
    allowed = client.post(
        f"/api/v1/recommendations/{ids['recommendation_id']}/follow-ups",
        json={"kind": "letter", "summary": "Wrote to the director"},
        headers=bearer(tokens[CASEWORKER]),
    )
    assert allowed.status_code == 200, allowed.text
    assert app.recorder.max_notification_id() == (before or 0) + 1


def test_a_liaison_sees_and_answers_only_its_own_authority(
    client: TestClient, world: dict[str, object], app: Rectrack, run: Commander
) -> None:
    tokens: dict[Role, str] = world["tokens"]  # type: ignore[assignment]
    ids: dict[str, str] = world["ids"]  # type: ignore[assignment]
    liaison = bearer(tokens[LIAISON])
    own = ids["recommendation_id"]
    other_authority = authority(run)
    other = issued_recommendation(run, other_authority, date.today() - timedelta(days=3))

    assert client.get(f"/api/v1/recommendations/{own}", headers=liaison).status_code == 200
    # Another authority's recommendation is answered exactly as one that does not exist.
    for path in ("", "/history", "/timeline"):
        refused = client.get(f"/api/v1/recommendations/{other}{path}", headers=liaison)
        unknown = uuid4()
        missing = client.get(f"/api/v1/recommendations/{unknown}{path}", headers=liaison)
        assert refused.status_code == missing.status_code == 404, path
        assert refused.json() == {
            **missing.json(),
            "message": missing.json()["message"].replace(str(unknown), str(other)),
        }

    reply = {"received_on": date.today().isoformat(), "position": "accepted", "text": "Agreed."}
    before = app.recorder.max_notification_id()
    answer_other = client.post(
        f"/api/v1/recommendations/{other}/responses", json=reply, headers=liaison
    )
    assert answer_other.status_code == 404
    assert app.recorder.max_notification_id() == before
    answered = client.post(f"/api/v1/recommendations/{own}/responses", json=reply, headers=liaison)
    assert answered.status_code == 200, answered.text
    history = client.get(f"/api/v1/recommendations/{own}/history", headers=liaison).json()
    last = history["events"][-1]
    assert last["event"] == "ResponseReceived"
    assert last["actor_role"] == "authority_liaison"
    me = client.get("/api/v1/me", headers=liaison).json()
    assert last["actor_id"] == me["id"]


def test_revoked_role_and_disabled_user_lose_access(
    client: TestClient, executor: Executor, admin_token: str
) -> None:
    token = make_user(executor, "casey", Role.CASEWORKER)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    admin = bearer(admin_token)
    revoked = client.delete("/api/v1/users/casey/roles/caseworker", headers=admin)
    assert revoked.status_code == 200, revoked.text
    page = client.post("/api/v1/authorities", json={}, headers=bearer(token))
    assert page.status_code == 403
    assert client.post("/api/v1/users/casey/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_tokens_are_shown_once_and_stored_hashed(
    client: TestClient, app: Rectrack, admin_token: str, database_url: str, schema: str
) -> None:
    import psycopg

    admin = bearer(admin_token)
    created = client.post(
        "/api/v1/users", json={"username": "ines", "display_name": "Ines"}, headers=admin
    )
    assert created.status_code == 201, created.text
    client.post("/api/v1/users/ines/roles", json={"role": "auditor"}, headers=admin)
    issued = client.post("/api/v1/users/ines/tokens", json={"label": "laptop"}, headers=admin)
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert client.get("/api/v1/me", headers=bearer(token)).json()["roles"] == ["auditor"]
    with psycopg.connect(database_url) as conn:
        stored = conn.execute(f'SELECT state FROM "{schema}".rectrack_events').fetchall()
    assert all(token.encode() not in bytes(row[0]) for row in stored)
    shown = client.get("/api/v1/users/ines", headers=admin).json()
    assert [t["label"] for t in shown["tokens"]] == ["laptop"]
    assert "token" not in shown["tokens"][0]
    revoke = client.delete(f"/api/v1/users/ines/tokens/{issued.json()['token_id']}", headers=admin)
    assert revoke.status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_every_event_names_the_authenticated_user(
    client: TestClient, app: Rectrack, executor: Executor, admin_token: str
) -> None:
    token = make_user(executor, "carla", Role.CASEWORKER)
    body = {
        "name": "Ministry of Health",
        "kind": "ministry",
        "jurisdiction": "DE",
        "reply_period_days": 30,
        "urgent_reply_period_days": 5,
    }
    created = client.post("/api/v1/authorities", json=body, headers=bearer(token))
    assert created.status_code == 201
    event = next(iter(app.events.get(UUID(created.json()["id"]))))
    carla = app.find(User, user_id_for("carla"))
    assert carla is not None
    assert event.meta.actor_id == str(carla.id)  # type: ignore[attr-defined]
    assert event.meta.actor_role == "caseworker"  # type: ignore[attr-defined]
    assert BOOTSTRAP.role == "system"  # who created the users
