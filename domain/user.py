"""People who use rectrack, their roles and their API tokens, event-sourced like everything
else: who was given which power, by whom and when is part of the audit trail an auditor
checks, so it must not live in a mutable table.

A user's id is derived from the username, so a user is found without an index and a
username cannot be registered twice (the second registration collides on version 1).
Tokens are never stored: only a SHA-256 hash, and an id that lets a token be revoked
without knowing it. Passwords likewise: only their argon2id hash is recorded
(`PasswordSet`), made by the application (services/adapters/credentials.py) after the
policy in domain/passwords.py passed. A TOTP second factor's shared secret has to be
kept to check codes, so `TotpEnabled` carries it: user events are never shown through
the API, and only the store's readers see it.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.email import check_address
from domain.errors import IllegalTransition, InvalidInput
from domain.tokens import IssuedToken, TokenScope
from domain.values import EventMeta, Language, Role

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")

# The roles a person can hold; "system" is reserved for the workflows' own events.
GRANTABLE_ROLES = frozenset(role for role in Role if role is not Role.SYSTEM)


def user_id_for(username: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"rectrack:user:{username.lower()}")


# A token names its user (`rt_<user id>_<secret>`), so authenticating loads one small
# aggregate by id instead of searching an index.
TOKEN_PREFIX = "rt_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_id_of_token(token: str) -> UUID | None:
    """The user a token claims to belong to, or None if it is not shaped like ours."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    user_hex, _, secret = token[len(TOKEN_PREFIX) :].partition("_")
    if len(user_hex) != 32 or len(secret) < 32:
        return None
    try:
        return UUID(hex=user_hex)
    except ValueError:
        return None


class User(Aggregate):
    @staticmethod
    def create_id(username: str, **_: object) -> UUID:
        return user_id_for(username)

    @event("Created")
    def __init__(self, meta: EventMeta, username: str, display_name: str) -> None:
        self.username = username
        self.display_name = display_name
        self.roles: set[Role] = set()
        self.authority_id: str | None = None
        self.tokens: dict[str, IssuedToken] = {}
        self.disabled = False
        #: where e-mail (the daily digest) reaches the user, and the language it is in
        self.email: str | None = None
        self.language = Language.EN
        #: whether the user chose the language (else the web UI follows the browser's)
        self.language_chosen = False
        self.password_hash: str | None = None
        self.totp_secret: str | None = None
        #: (issuer, subject) of the identity provider's account signed in as this user
        self.external_identity: tuple[str, str] | None = None

    # --- roles -----------------------------------------------------------------------------

    def _require_enabled(self, action: str) -> None:
        if self.disabled:
            raise IllegalTransition("user", self.id, "disabled", action, [])

    def grant_role(self, meta: EventMeta, role: Role, authority_id: str | None) -> None:
        self._require_enabled("grant_role")
        if role not in GRANTABLE_ROLES:
            raise InvalidInput(
                "role", "{role} cannot be granted to a person", role=repr(role.value)
            )
        if role is Role.AUTHORITY_LIAISON:
            if authority_id is None:
                raise InvalidInput("authority_id", "an authority liaison needs its authority")
            if self.authority_id is not None and self.authority_id != authority_id:
                raise InvalidInput(
                    "authority_id", "a liaison speaks for one authority; revoke the role first"
                )
        elif authority_id is not None:
            raise InvalidInput("authority_id", "only the authority_liaison role takes one")
        if role in self.roles:
            raise InvalidInput("role", "the user already has the role {role}", role=role.value)
        self._grant_role(meta, role.value, authority_id)

    @event("RoleGranted")
    def _grant_role(self, meta: EventMeta, role: str, authority_id: str | None) -> None:
        self.roles.add(Role(role))
        if authority_id is not None:
            self.authority_id = authority_id

    def revoke_role(self, meta: EventMeta, role: Role) -> None:
        self._require_enabled("revoke_role")
        if role not in self.roles:
            raise InvalidInput("role", "the user does not have the role {role}", role=role.value)
        self._revoke_role(meta, role.value)

    @event("RoleRevoked")
    def _revoke_role(self, meta: EventMeta, role: str) -> None:
        self.roles.discard(Role(role))
        if role == Role.AUTHORITY_LIAISON.value:
            self.authority_id = None

    # --- tokens ----------------------------------------------------------------------------

    def issue_token(
        self,
        meta: EventMeta,
        token_id: str,
        token_hash: str,
        label: str,
        scope: TokenScope = TokenScope.READ,
        expires_on: date | None = None,
    ) -> None:
        """Issue a token of `scope` that stops working on `expires_on` (domain/tokens.py)."""
        self._require_enabled("issue_token")
        if not re.fullmatch(r"[0-9a-f]{64}", token_hash):
            raise InvalidInput("token_hash", "must be a hex SHA-256 digest")
        if token_id in self.tokens:
            raise InvalidInput("token_id", "is already issued")
        if expires_on is None or expires_on <= meta.business_date:
            raise InvalidInput("expires_on", "a token must expire after the day it is issued")
        self._issue_token(
            meta, token_id, token_hash, label, TokenScope(scope).value, expires_on.isoformat()
        )

    @event("TokenIssued")
    def _issue_token(
        self,
        meta: EventMeta,
        token_id: str,
        token_hash: str,
        label: str,
        # Absent from the tokens issued before scopes and expiries: see domain/tokens.py.
        scope: str | None = None,
        expires_on: str | None = None,
    ) -> None:
        self.tokens[token_id] = IssuedToken(
            token_id,
            token_hash,
            label,
            scope=TokenScope(scope) if scope else None,
            expires_on=date.fromisoformat(expires_on) if expires_on else None,
            issued_on=meta.business_date,
        )

    def revoke_token(self, meta: EventMeta, token_id: str) -> None:
        if token_id not in self.tokens:
            raise InvalidInput("token_id", "no active token {id} for this user", id=token_id)
        self._revoke_token(meta, token_id)

    @event("TokenRevoked")
    def _revoke_token(self, meta: EventMeta, token_id: str) -> None:
        del self.tokens[token_id]

    def token_for(self, token_hash: str, today: date) -> IssuedToken | None:
        """The live token with this hash, or None (unknown, revoked or expired)."""
        for token in self.tokens.values():
            if token.token_hash == token_hash and token.live_on(today):
                return token
        return None

    def has_token(self, token_hash: str) -> bool:
        return any(token.token_hash == token_hash for token in self.tokens.values())

    # --- contact -------------------------------------------------------------------------

    def record_contact(self, meta: EventMeta, email: str | None, language: Language) -> None:
        """The user's e-mail address (None: no e-mail) and language."""
        self._require_enabled("record_contact")
        address = check_address("email", email) if email is not None else None
        # Saving the profile is a choice of language even when it is the default one: until
        # then the web UI follows the browser, so an unchanged English still records it.
        if (address, language) == (self.email, self.language) and self.language_chosen:
            return
        self._record_contact(meta, address, language.value)

    @event("ContactRecorded")
    def _record_contact(self, meta: EventMeta, email: str | None, language: str) -> None:
        self.email = email
        self.language = Language(language)
        self.language_chosen = True

    # --- passwords and second factor --------------------------------------------------------

    def set_password(self, meta: EventMeta, password_hash: str) -> None:
        self._require_enabled("set_password")
        if not password_hash.startswith("$argon2id$"):
            raise InvalidInput("password_hash", "must be an argon2id hash")
        self._set_password(meta, password_hash)

    @event("PasswordSet")
    def _set_password(self, meta: EventMeta, password_hash: str) -> None:
        self.password_hash = password_hash

    def enable_totp(self, meta: EventMeta, secret: str) -> None:
        self._require_enabled("enable_totp")
        if not re.fullmatch(r"[A-Z2-7]{32}", secret):
            raise InvalidInput("secret", "must be 32 base32 characters")
        self._enable_totp(meta, secret)

    @event("TotpEnabled")
    def _enable_totp(self, meta: EventMeta, secret: str) -> None:
        self.totp_secret = secret

    def disable_totp(self, meta: EventMeta) -> None:
        if self.totp_secret is None:
            raise InvalidInput("totp", "the user has no second factor to remove")
        self._disable_totp(meta)

    @event("TotpDisabled")
    def _disable_totp(self, meta: EventMeta) -> None:
        self.totp_secret = None

    def link_identity(self, meta: EventMeta, issuer: str, subject: str) -> None:
        self._require_enabled("link_identity")
        if self.external_identity == (issuer, subject):
            raise InvalidInput("subject", "this identity is already linked")
        self._link_identity(meta, issuer, subject)

    @event("IdentityLinked")
    def _link_identity(self, meta: EventMeta, issuer: str, subject: str) -> None:
        self.external_identity = (issuer, subject)

    # --- disabling -------------------------------------------------------------------------

    def disable(self, meta: EventMeta) -> None:
        self._require_enabled("disable")
        self._disable(meta)

    @event("Disabled")
    def _disable(self, meta: EventMeta) -> None:
        self.disabled = True
        self.tokens.clear()
        self.password_hash = None
