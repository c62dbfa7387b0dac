"""Single sign-on against a real OpenID Connect provider started in the test
(oidc-provider-mock, a Flask/authlib provider on a real socket): the whole
authorisation-code flow with PKCE, the provider's groups mapped to roles (granted and
taken away as they change), the user created once and linked to the provider's subject,
and the refusals: a replayed callback, a callback from another browser, no mapped role,
and a provider account that would take over a local user."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.settings import Settings
from services.api import create_app
from services.application.runtime import Runtime
from services.application.store import Rectrack
from tests.api.conftest import make_user

provider_mock = pytest.importorskip("oidc_provider_mock")


@pytest.fixture
def provider() -> Iterator[str]:
    with provider_mock.run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def sso(
    settings: Settings, database_url: str, app: Rectrack, provider: str
) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "oidc_issuer": provider,
            "oidc_client_id": "rectrack",
            "oidc_client_secret": SecretStr("any secret the provider accepts"),
            "oidc_role_map": "npm-staff=caseworker,npm-heads=compliance,it=admin",
        }
    )
    runtime = Runtime(settings=configured, database_url=database_url, app=app)
    with TestClient(
        create_app(runtime, read_pool_size=2), base_url="https://testserver", follow_redirects=False
    ) as client:
        yield client


def set_account(provider: str, sub: str, **claims: object) -> None:
    answer = httpx.put(f"{provider}/users/{sub}", json=claims, timeout=10)
    assert answer.status_code == 204, answer.text


def sign_on(client: TestClient, sub: str) -> httpx.Response:
    """The browser's round trip: to the provider, the person picks the account, back."""
    began = client.get("/api/v1/oidc/login")
    assert began.status_code == 303, began.text
    authorize = began.headers["location"]
    query = parse_qs(urlsplit(authorize).query)
    # PKCE: the provider gets only the S256 challenge; the verifier stays with us.
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["nonce"] and query["state"] and query["response_type"] == ["code"]
    back = httpx.post(authorize, data={"sub": sub}, follow_redirects=False, timeout=10)
    assert back.status_code in (302, 303), back.text
    location = back.headers["location"]
    assert location.startswith("https://testserver/api/v1/oidc/callback?")
    return client.get(location.removeprefix("https://testserver"))


def test_sign_on_creates_the_user_with_the_roles_its_groups_map_to(
    sso: TestClient, provider: str, app: Rectrack
) -> None:
    options = sso.get("/api/v1/sign-in-options").json()
    assert options == {"single_sign_on": True}
    set_account(
        provider,
        "248289761001",
        preferred_username="Marie.Curie",
        name="Marie Curie",
        email="marie@npm.example",
        groups=["npm-staff", "library"],
    )
    done = sign_on(sso, "248289761001")
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/ui/#/inbox"
    assert "SameSite=strict" in done.headers["set-cookie"]
    me = sso.get("/api/v1/me").json()
    assert (me["username"], me["display_name"], me["roles"]) == (
        "marie.curie",
        "Marie Curie",
        ["caseworker"],
    )
    user = app.get(User, user_id_for("marie.curie"))
    assert user.external_identity == (provider, "248289761001")

    # Her groups change at the provider: the next sign-on brings the roles in step.
    set_account(provider, "248289761001", preferred_username="marie.curie", groups=["npm-heads"])
    sso.cookies.clear()
    assert sign_on(sso, "248289761001").status_code == 303
    assert sso.get("/api/v1/me").json()["roles"] == ["compliance"]
    names = [type(e).__name__ for e in app.events.get(user.id)]
    assert names.count("Created") == 1 and names.count("IdentityLinked") == 1
    assert "RoleRevoked" in names


def test_a_callback_is_used_once_and_only_by_the_browser_that_began_it(
    sso: TestClient, provider: str
) -> None:
    set_account(provider, "u-1", preferred_username="pat", groups=["npm-staff"])
    began = sso.get("/api/v1/oidc/login")
    back = httpx.post(began.headers["location"], data={"sub": "u-1"}, follow_redirects=False)
    callback = back.headers["location"].removeprefix("https://testserver")
    # Another browser (no flow cookie) cannot finish it.
    other = TestClient(sso.app, base_url="https://testserver", follow_redirects=False)
    stranger = other.get(callback)
    assert stranger.status_code == 400 and stranger.json()["code"] == "sso_state"
    assert sso.get(callback).status_code == 303
    replay = sso.get(callback)
    assert replay.status_code == 400 and replay.json()["code"] == "sso_state"


def test_no_mapped_role_or_a_local_username_is_refused(
    sso: TestClient, provider: str, app: Rectrack, executor: object
) -> None:
    set_account(provider, "u-2", preferred_username="guest", groups=["library"])
    refused = sso_failure(sso, provider, "u-2")
    assert refused.status_code == 401 and refused.json()["code"] == "sso_no_role"
    assert app.find(User, user_id_for("guest")) is None

    make_user(executor, "admin", Role.ADMIN)  # type: ignore[arg-type]
    set_account(provider, "u-3", preferred_username="admin", groups=["it"])
    taken = sso_failure(sso, provider, "u-3")
    assert taken.status_code == 401 and taken.json()["code"] == "sso_conflict"
    assert app.get(User, user_id_for("admin")).external_identity is None


def sso_failure(client: TestClient, provider: str, sub: str) -> httpx.Response:
    client.cookies.clear()
    return sign_on(client, sub)


def test_without_a_provider_there_is_no_single_sign_on(client: TestClient) -> None:
    assert client.get("/api/v1/sign-in-options").json() == {"single_sign_on": False}
    assert client.get("/api/v1/oidc/login").status_code == 404
