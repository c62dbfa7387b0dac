"""User and role commands: users are event-sourced like everything else.

A mixin of the Rectrack application (domain/user.py holds the aggregate). Tokens are made
here, from the operating system's randomness, and only their hash reaches an event; the
token itself is returned once to the caller and is unrecoverable afterwards.

A token names its user (`rt_<user id>_<secret>`), so authenticating loads one small
aggregate by id instead of searching an index; the API caches the outcome briefly.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from domain.errors import ConcurrencyConflict, InvalidInput, NotFound
from domain.user import USERNAME, User, user_id_for
from domain.values import EventMeta, Role

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from eventsourcing.domain import Aggregate

    from domain.application import CommandResult

A = TypeVar("A", bound="Aggregate")

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


@dataclass(frozen=True)
class NewToken:
    token_id: str
    token: str


class UserCommands:
    """Create users, grant and revoke roles, issue and revoke tokens, disable users."""

    if TYPE_CHECKING:
        # Provided by the Rectrack application this class is mixed into.
        def _execute(
            self,
            meta: EventMeta,
            kind: str,
            change: Callable[[], Aggregate | Sequence[Aggregate]],
        ) -> CommandResult: ...

        def _load(self, cls: type[A], kind: str, aggregate_id: UUID) -> A: ...

    def create_user(self, meta: EventMeta, *, username: str, display_name: str) -> CommandResult:
        def change() -> User:
            name = username.strip().lower()
            if not USERNAME.fullmatch(name):
                raise InvalidInput(
                    "username",
                    "2-64 characters: lower-case letters, digits, '.', '_', '@' or '-'",
                )
            if not display_name.strip():
                raise InvalidInput("display_name", "must not be empty")
            if self.find_user(name) is not None:
                raise ConcurrencyConflict("user", name, "the username is already taken")
            return User(meta=meta, username=name, display_name=display_name.strip())

        return self._execute(meta, "user", change)

    def grant_role(
        self,
        meta: EventMeta,
        user_id: UUID,
        *,
        role: Role,
        authority_id: UUID | None = None,
    ) -> CommandResult:
        def change() -> User:
            from domain.authority import Authority

            user = self._load(User, "user", user_id)
            if authority_id is not None:
                self._load(Authority, "authority", authority_id)
            user.grant_role(meta, role, str(authority_id) if authority_id else None)
            return user

        return self._execute(meta, "user", change)

    def revoke_role(self, meta: EventMeta, user_id: UUID, *, role: Role) -> CommandResult:
        def change() -> User:
            user = self._load(User, "user", user_id)
            user.revoke_role(meta, role)
            return user

        return self._execute(meta, "user", change)

    def issue_token(
        self, meta: EventMeta, user_id: UUID, *, label: str
    ) -> tuple[CommandResult, NewToken | None]:
        """Returns the token, or None when this command id was already applied (a retry
        cannot show the token again: it was never stored)."""
        token = f"{TOKEN_PREFIX}{user_id.hex}_{secrets.token_urlsafe(32)}"
        token_id = str(uuid.uuid4())

        def change() -> User:
            user = self._load(User, "user", user_id)
            user.issue_token(meta, token_id, hash_token(token), label.strip() or "token")
            return user

        result = self._execute(meta, "user", change)
        return result, None if result.replayed else NewToken(token_id, token)

    def revoke_token(self, meta: EventMeta, user_id: UUID, *, token_id: str) -> CommandResult:
        def change() -> User:
            user = self._load(User, "user", user_id)
            user.revoke_token(meta, token_id)
            return user

        return self._execute(meta, "user", change)

    def disable_user(self, meta: EventMeta, user_id: UUID) -> CommandResult:
        def change() -> User:
            user = self._load(User, "user", user_id)
            if user.id == user_id_for(meta.actor_id) or str(user.id) == meta.actor_id:
                raise InvalidInput("user_id", "users cannot disable themselves")
            user.disable(meta)
            return user

        return self._execute(meta, "user", change)

    # --- queries ---------------------------------------------------------------------------

    def get_user(self, user_id: UUID) -> User:
        return self._load(User, "user", user_id)

    def find_user(self, username: str) -> User | None:
        try:
            return self._load(User, "user", user_id_for(username.strip().lower()))
        except NotFound:
            return None

    def user_for_token(self, token: str) -> User | None:
        """The enabled user holding this token, or None."""
        user_id = user_id_of_token(token)
        if user_id is None:
            return None
        try:
            user = self._load(User, "user", user_id)
        except NotFound:
            return None
        if user.disabled or not user.has_token(hash_token(token)):
            return None
        return user
