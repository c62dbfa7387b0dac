"""Commands on users: create, grant and revoke roles, issue and revoke tokens, record the
contact details e-mail uses, disable; set a password, enable or remove the second factor,
link a single-sign-on identity."""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, SecretStr, StringConstraints

from domain.tokens import MAX_TOKEN_DAYS, TokenScope
from domain.values import Language, Role
from services.application.commands.base import Command, NoNul, TargetedCommand


class UserCommand(TargetedCommand):
    subject: ClassVar[str] = "user_id"


class CreateUser(Command):
    subject: ClassVar[str] = "user_id"
    username: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64), NoNul
    ]
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
    ]


class GrantRole(UserCommand):
    role: Role
    authority_id: UUID | None = Field(default=None, description="for authority_liaison only")


class RevokeRole(UserCommand):
    role: Role


class IssueToken(UserCommand):
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul] = "api"
    scope: TokenScope = Field(
        default=TokenScope.READ,
        description="read: reads only; write: reads and casework; admin: all the roles allow",
    )
    days: int | None = Field(
        default=None,
        ge=1,
        le=10 * MAX_TOKEN_DAYS,
        description="days until it expires (default RECTRACK_TOKEN_DEFAULT_DAYS, at most "
        "RECTRACK_TOKEN_MAX_DAYS)",
    )


class RevokeToken(UserCommand):
    token_id: Annotated[str, StringConstraints(min_length=1, max_length=100), NoNul]


class DisableUser(UserCommand):
    pass


class SetUserContact(UserCommand):
    """The address the user's e-mail (the daily digest) goes to, none for no e-mail, and
    the language it is written in."""

    email: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=320), NoNul] | None
    ) = Field(None, description="one address, e.g. hedda@npm.example.org; null: no e-mail")
    language: Language = Language.EN


class SetPassword(UserCommand):
    """A new password; the handler checks the policy and records only its argon2id hash.
    (The command log's digest of it is the same for every password: SecretStr dumps
    masked, so nothing of it reaches the store.)"""

    password: Annotated[SecretStr, Field(min_length=1, max_length=1000)]


class EnableTotp(UserCommand):
    """Record a second factor's shared secret, once its first code was checked."""

    secret: Annotated[str, StringConstraints(pattern=r"^[A-Z2-7]{32}$")]


class DisableTotp(UserCommand):
    pass


class LinkIdentity(UserCommand):
    """Remember which account at the organisation's identity provider is this user."""

    issuer: Annotated[str, StringConstraints(min_length=1, max_length=500), NoNul]
    account: Annotated[str, StringConstraints(min_length=1, max_length=255), NoNul] = Field(
        description="the provider's subject (sub) of the account"
    )
