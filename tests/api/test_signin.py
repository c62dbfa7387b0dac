"""Signing in to the web UI through the real API on real PostgreSQL: the session cookie
and its flags, wrong passwords, the lockout per username and per address with its
backoff, the second factor (enrolled by the user, and required by role), idle and
absolute expiry, CSRF refusal, signing out everywhere, and the one-time reset link.

Time is the SignIn service's clock, moved by the tests: nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.credentials import new_totp_secret, totp_now
from services.adapters.signin_store import Lockout
from services.api import create_app
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.application.signin import SignIn, SignInPolicy
from services.application.store import Rectrack
from tests.api.conftest import TEST_PASSWORD, bearer, make_user

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(settings: object, database_url: str, app: Rectrack, clock: Clock) -> Iterator[TestClient]:
    runtime = Runtime(settings=settings, database_url=database_url, app=app)  # type: ignore[arg-type]
    fastapi_app = create_app(runtime, read_pool_size=2)
    policy = SignInPolicy(
        idle=timedelta(minutes=30),
        absolute=timedelta(hours=12),
        per_user=Lockout(threshold=3, base_seconds=30),
        per_address=Lockout(threshold=6, base_seconds=30),
    )
    current: SignIn = fastapi_app.state.signin
    fastapi_app.state.signin = SignIn(current.executor, current.store, policy, clock)
    # https: the session cookie is Secure, so the client sends it only over HTTPS.
    with TestClient(fastapi_app, base_url="https://testserver") as client:
        yield client


def sign_in(client: TestClient, username: str, password: str = TEST_PASSWORD, **more: str) -> str:
    answer = client.post(
        "/api/v1/session", json={"username": username, "password": password, **more}
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["csrf_token"])


def events_of(app: Rectrack, username: str) -> list[str]:
    return [type(e).__name__ for e in app.events.get(user_id_for(username))]


def test_a_password_opens_a_session_held_in_a_strict_cookie(
    api: TestClient, executor: Executor, app: Rectrack
) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    answer = api.post("/api/v1/session", json={"username": "Carla", "password": TEST_PASSWORD})
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("rectrack_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=strict", "Path=/"):
        assert flag in cookie
    assert TEST_PASSWORD not in answer.text
    assert api.get("/api/v1/me").json()["username"] == "carla"
    # The password is stored as an argon2id hash, in an event, never as itself.
    user = app.get(User, user_id_for("carla"))
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    assert "PasswordSet" in events_of(app, "carla")


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
    api: TestClient, executor: Executor
) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    wrong = api.post("/api/v1/session", json={"username": "carla", "password": "not it at all"})
    unknown = api.post("/api/v1/session", json={"username": "nobody", "password": "whatever12345"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "sign_in_failed"
    assert wrong.json()["message"] == unknown.json()["message"]
    assert "set-cookie" not in wrong.headers
    assert api.get("/api/v1/me").status_code == 401


def test_a_nul_in_the_name_or_a_link_is_refused_by_field_not_a_server_error(
    api: TestClient,
) -> None:
    """PostgreSQL's text cannot hold NUL: found by the OpenAPI fuzz test as a 500."""
    answer = api.post("/api/v1/session", json={"username": "car\x00la", "password": "x"})
    assert answer.status_code == 422
    problems = answer.json()["problems"]
    assert [p["field"] for p in problems] == ["username"]
    assert "NUL" in problems[0]["rule"]
    link = api.post("/api/v1/session/link", json={"token": "abcdefghij\x00kl"})
    assert link.status_code == 422
    assert link.json()["problems"][0]["field"] == "token"


def test_lockout_per_username_backs_off(api: TestClient, executor: Executor, clock: Clock) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    for _ in range(3):
        wrong = api.post("/api/v1/session", json={"username": "carla", "password": "wrong guess 1"})
        assert wrong.status_code == 401
    # Locked: even the right password is refused, with how long to wait.
    locked = api.post("/api/v1/session", json={"username": "carla", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    assert locked.headers["retry-after"] == "30"
    clock.advance(seconds=31)
    # One more failure after the lockout doubles it.
    api.post("/api/v1/session", json={"username": "carla", "password": "wrong guess 2"})
    locked = api.post("/api/v1/session", json={"username": "carla", "password": TEST_PASSWORD})
    assert locked.headers["retry-after"] == "60"
    clock.advance(seconds=61)
    sign_in(api, "carla")
    # Success clears the count: a failure now does not lock.
    api.post("/api/v1/session", json={"username": "carla", "password": "wrong guess 3"})
    sign_in(api, "carla")


def test_lockout_per_address_covers_every_username(
    api: TestClient, executor: Executor, clock: Clock
) -> None:
    make_user(executor, "hedda", Role.COMPLIANCE)
    for n in range(6):  # one guess each at six usernames: none reaches its own limit
        api.post("/api/v1/session", json={"username": f"guess{n}", "password": "wrong guess 1"})
    locked = api.post("/api/v1/session", json={"username": "hedda", "password": TEST_PASSWORD})
    assert locked.status_code == 429
    clock.advance(seconds=31)
    sign_in(api, "hedda")


def test_the_second_factor_once_enrolled_is_asked_for(
    api: TestClient, executor: Executor, app: Rectrack, clock: Clock
) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    csrf = sign_in(api, "carla")
    offered = api.get("/api/v1/me/totp/new").json()
    assert offered["uri"].startswith("otpauth://totp/rectrack:carla?secret=")
    wrong = api.post(
        "/api/v1/me/totp",
        json={"secret": offered["secret"], "code": "000000"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status_code == 422 and wrong.json()["field"] == "code"
    assert "TotpEnabled" not in events_of(app, "carla")
    code = totp_now(offered["secret"], clock().timestamp())
    enabled = api.post(
        "/api/v1/me/totp",
        json={"secret": offered["secret"], "code": code},
        headers={"X-CSRF-Token": csrf},
    )
    assert enabled.status_code == 204, enabled.text
    assert "TotpEnabled" in events_of(app, "carla")

    api.cookies.clear()
    without = api.post("/api/v1/session", json={"username": "carla", "password": TEST_PASSWORD})
    assert without.status_code == 401 and without.json()["code"] == "totp_required"
    assert without.json()["field"] == "code"
    bad = api.post(
        "/api/v1/session", json={"username": "carla", "password": TEST_PASSWORD, "code": "123456"}
    )
    assert bad.json()["code"] == "totp_failed"
    clock.advance(seconds=90)
    code = totp_now(offered["secret"], clock().timestamp())
    sign_in(api, "carla", code=code)
    # A code is good once: seen over a shoulder, it cannot be replayed in its window.
    api.cookies.clear()
    replayed = api.post(
        "/api/v1/session", json={"username": "carla", "password": TEST_PASSWORD, "code": code}
    )
    assert replayed.status_code == 401 and "already used" in replayed.json()["message"]


def test_a_role_can_require_the_second_factor(
    api: TestClient, executor: Executor, app: Rectrack, clock: Clock
) -> None:
    make_user(executor, "admin", Role.ADMIN)
    service: SignIn = api.app.state.signin  # type: ignore[attr-defined]
    policy = SignInPolicy(totp_roles=frozenset({"admin"}))
    api.app.state.signin = SignIn(service.executor, service.store, policy, clock)  # type: ignore[attr-defined]
    first = api.post("/api/v1/session", json={"username": "admin", "password": TEST_PASSWORD})
    assert first.status_code == 401
    assert first.json()["code"] == "totp_enrolment_required"
    enrol = first.json()["enrol"]
    assert enrol["uri"].startswith("otpauth://totp/")
    code = totp_now(enrol["secret"], clock().timestamp())
    sign_in(api, "admin", code=code, enrol_secret=enrol["secret"])
    assert app.get(User, user_id_for("admin")).totp_secret == enrol["secret"]
    # From now on the code is asked for; a key the client invents is not accepted instead.
    api.cookies.clear()
    other = new_totp_secret()
    answer = api.post(
        "/api/v1/session",
        json={
            "username": "admin",
            "password": TEST_PASSWORD,
            "code": totp_now(other, clock().timestamp()),
            "enrol_secret": other,
        },
    )
    assert answer.json()["code"] == "totp_failed"


def test_sessions_end_when_idle_and_after_the_absolute_limit(
    api: TestClient, executor: Executor, clock: Clock
) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    sign_in(api, "carla")
    clock.advance(minutes=29)
    assert api.get("/api/v1/me").status_code == 200  # and the idle clock restarts
    clock.advance(minutes=29)
    assert api.get("/api/v1/me").status_code == 200
    clock.advance(minutes=31)
    ended = api.get("/api/v1/me")
    assert ended.status_code == 401 and ended.json()["code"] == "session_ended"

    sign_in(api, "carla")
    signed_in_at = clock.now
    for _ in range(12 * 3):  # busy all day, never idle for long
        clock.advance(minutes=20)
        if api.get("/api/v1/me").status_code != 200:
            break
    # Alive at 11 h 40 (the step before), ended at twelve hours.
    assert clock.now - signed_in_at == timedelta(hours=12)
    assert api.get("/api/v1/me").json()["code"] == "session_ended"


def test_a_write_with_the_cookie_needs_the_csrf_token(
    api: TestClient, executor: Executor, app: Rectrack
) -> None:
    make_user(executor, "admin", Role.ADMIN)
    csrf = sign_in(api, "admin")
    body = {"username": "newcomer", "display_name": "New Comer"}
    refused = api.post("/api/v1/users", json=body)
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf" and refused.json()["field"] == "X-CSRF-Token"
    forged = api.post(
        "/api/v1/users",
        json=body,
        headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"},
    )
    assert forged.status_code == 403 and forged.json()["field"] == "Origin"
    assert app.find(User, user_id_for("newcomer")) is None  # nothing appended
    made = api.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
    assert made.status_code == 201, made.text
    # A bearer token (a machine) needs no CSRF token: no browser sends it by itself.
    token = make_user(executor, "robot", Role.ADMIN)
    fresh = TestClient(api.app, base_url="https://testserver")
    other = fresh.post(
        "/api/v1/users", json={"username": "other", "display_name": "O"}, headers=bearer(token)
    )
    assert other.status_code == 201


def test_sign_out_and_sign_out_everywhere(api: TestClient, executor: Executor) -> None:
    make_user(executor, "carla", Role.CASEWORKER)
    laptop = TestClient(api.app, base_url="https://testserver")
    phone = TestClient(api.app, base_url="https://testserver")
    laptop_csrf = sign_in(laptop, "carla")
    sign_in(phone, "carla")
    csrf = sign_in(api, "carla")
    assert api.delete("/api/v1/session").status_code == 403  # CSRF applies to signing out
    assert api.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert api.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 200
    ended = laptop.delete("/api/v1/sessions", headers={"X-CSRF-Token": laptop_csrf})
    assert ended.json() == {"ended": 2}
    assert phone.get("/api/v1/me").json()["code"] == "session_ended"
    assert laptop.get("/api/v1/me").status_code == 401


def test_a_reset_link_works_once_and_expires(
    api: TestClient, executor: Executor, app: Rectrack, clock: Clock
) -> None:
    admin = make_user(executor, "admin", Role.ADMIN)
    make_user(executor, "carla", Role.CASEWORKER)
    old_session = TestClient(api.app, base_url="https://testserver")
    sign_in(old_session, "carla")
    made = api.post("/api/v1/users/carla/password-reset", headers=bearer(admin))
    assert made.status_code == 201, made.text
    link = made.json()["link"]
    assert link.startswith("https://testserver/ui/#/reset/")
    token = link.rsplit("/", 1)[1]
    # A password the policy refuses names the rule, and leaves the link usable.
    weak = api.post("/api/v1/password-reset", json={"token": token, "password": "password1234"})
    assert weak.status_code == 422 and weak.json()["field"] == "password"
    named = api.post(
        "/api/v1/password-reset", json={"token": token, "password": "carla-secret-99x"}
    )
    assert named.status_code == 422 and "username" in named.json()["message"]
    new = "violet-harbour-engine-58"
    assert (
        api.post("/api/v1/password-reset", json={"token": token, "password": new}).status_code
        == 204
    )
    again = api.post("/api/v1/password-reset", json={"token": token, "password": new + "x"})
    assert again.status_code == 400 and again.json()["code"] == "link_invalid"
    assert old_session.get("/api/v1/me").status_code == 401  # sessions ended by the reset
    sign_in(api, "carla", new)
    refused = api.post("/api/v1/session", json={"username": "carla", "password": TEST_PASSWORD})
    assert refused.status_code == 401
    # An unused link stops working once it expires.
    late = api.post("/api/v1/users/carla/password-reset", headers=bearer(admin)).json()["link"]
    clock.advance(hours=25)
    expired = api.post(
        "/api/v1/password-reset", json={"token": late.rsplit("/", 1)[1], "password": new + "y"}
    )
    assert expired.json()["code"] == "link_invalid"
    # Only an administrator makes reset links.
    carla_token = make_user(executor, "carla2", Role.CASEWORKER)
    forbidden = api.post("/api/v1/users/carla/password-reset", headers=bearer(carla_token))
    assert forbidden.status_code == 403
    assert events_of(app, "carla").count("PasswordSet") == 2


def test_a_sign_in_link_stands_for_the_password_not_the_second_factor(
    api: TestClient, executor: Executor, app: Rectrack, clock: Clock
) -> None:
    from services.application.commands.users import EnableTotp
    from services.application.executor import Caller

    make_user(executor, "hedda", Role.COMPLIANCE)
    secret = new_totp_secret()
    executor.execute(
        EnableTotp(secret=secret),
        Caller("test-setup", Role.SYSTEM.value),
        target_id=user_id_for("hedda"),
    )
    service: SignIn = api.app.state.signin  # type: ignore[attr-defined]
    token, _ = service.link(user_id_for("hedda"), "sign-in")

    without = api.post("/api/v1/session/link", json={"token": token})
    assert without.status_code == 401 and without.json()["code"] == "totp_required"
    wrong = api.post("/api/v1/session/link", json={"token": token, "code": "000000"})
    assert wrong.json()["code"] == "totp_failed"
    assert "rectrack_session" not in api.cookies
    # Neither used the link up: with the code it signs in, once.
    code = totp_now(secret, clock().timestamp())
    opened = api.post("/api/v1/session/link", json={"token": token, "code": code})
    assert opened.status_code == 200, opened.text
    assert api.get("/api/v1/me").json()["username"] == "hedda"
    api.cookies.clear()
    clock.advance(seconds=60)
    again = api.post(
        "/api/v1/session/link",
        json={"token": token, "code": totp_now(secret, clock().timestamp())},
    )
    assert again.json()["code"] == "link_invalid"
