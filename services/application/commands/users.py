"""Commands on users: create, grant and revoke roles, issue and revoke tokens, record the
contact details e-mail uses, disable."""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, StringConstraints

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
