"""OpenID Connect with an organisation's identity provider: the authorisation-code flow
with PKCE (RFC 7636, S256), through authlib.

`begin` makes the provider's sign-in address with a fresh state, nonce and code verifier
(the caller keeps them, server-side, for the one callback that may use them); `finish`
trades the code (with the verifier) for tokens, checks the ID token's signature against
the provider's published keys and its issuer, audience, nonce and expiry, and adds what
the userinfo endpoint says about the same subject (where providers put groups)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client

SCOPE = "openid profile email"


class OidcFailed(Exception):
    """The provider's answer could not be trusted or used; the message says why."""


@dataclass(frozen=True)
class Started:
    url: str
    state: str
    verifier: str
    nonce: str


class OidcProvider:
    def __init__(
        self, issuer: str, client_id: str, client_secret: str, *, timeout: float = 10.0
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout

    @cached_property
    def metadata(self) -> dict[str, Any]:
        url = f"{self.issuer}/.well-known/openid-configuration"
        found: dict[str, Any] = httpx.get(url, timeout=self.timeout).raise_for_status().json()
        if found.get("issuer", "").rstrip("/") != self.issuer:
            raise OidcFailed(f"the provider at {url} names another issuer: {found.get('issuer')}")
        return found

    def _client(self, redirect_uri: str) -> OAuth2Client:
        # Imported here: only a process that signs someone on needs authlib's client.
        from authlib.integrations.httpx_client import OAuth2Client

        return OAuth2Client(
            self.client_id,
            self.client_secret,
            scope=SCOPE,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
        )

    def begin(self, redirect_uri: str) -> Started:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43-128
        with self._client(redirect_uri) as client:
            url, _ = client.create_authorization_url(
                self.metadata["authorization_endpoint"],
                state=state,
                code_verifier=verifier,
                nonce=nonce,
            )
        return Started(url=url, state=state, verifier=verifier, nonce=nonce)

    def finish(self, code: str, redirect_uri: str, verifier: str, nonce: str) -> dict[str, Any]:
        """The signed-in account's claims (ID token, then userinfo for the same subject)."""
        metadata = self.metadata
        with self._client(redirect_uri) as client:
            try:
                token = client.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=verifier,
                )
            except Exception as error:  # authlib raises the provider's OAuth error
                raise OidcFailed(f"the provider refused the code: {error}") from error
            if "id_token" not in token:
                raise OidcFailed("the provider sent no ID token")
            keys = httpx.get(metadata["jwks_uri"], timeout=self.timeout).raise_for_status()
            try:
                decoded = jwt.decode(token["id_token"], KeySet.import_key_set(keys.json()))
                jwt.JWTClaimsRegistry(
                    leeway=60,
                    iss={"essential": True, "value": self.issuer},
                    aud={"essential": True, "value": self.client_id},
                    nonce={"essential": True, "value": nonce},
                    sub={"essential": True},
                    exp={"essential": True},
                ).validate(decoded.claims)
            except (JoseError, ValueError) as error:
                raise OidcFailed(f"the ID token is not valid: {error}") from error
            found: dict[str, Any] = dict(decoded.claims)
            if "userinfo_endpoint" in metadata:
                info = client.get(metadata["userinfo_endpoint"]).raise_for_status().json()
                if info.get("sub") == found["sub"]:
                    found = {**info, **found}
        return found
