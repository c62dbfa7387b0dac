"""Users, roles and tokens (administrators only), and `me` for anyone signed in, with
one's own API tokens (listed, issued and revoked by their owner)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from domain.errors import NotFound
from domain.tokens import IssuedToken
from domain.user import User, user_id_for
from domain.values import Role
from services.api.auth import Ability, Actor
from services.api.deps import AuthenticatorDep, PrincipalDep, StoreDep, require
from services.api.errors import ERROR_RESPONSES
from services.api.threads import OneHopRoute
from services.api.writes import (
    CommandOut,
    Write,
    command_out,
    execute_command,
    key_options,
    run_command,
    writer,
)
from services.application.commands import users as commands
from services.application.handlers.users import NewToken
from services.application.store import Rectrack

router = APIRouter(route_class=OneHopRoute, tags=["users"], responses=ERROR_RESPONSES)

Admin = Annotated[Actor, Depends(require(Ability.MANAGE_USERS))]
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]+$")]


class TokenOut(BaseModel):
    token_id: str
    label: str
    scope: str = Field(description="read, write or admin (all the user's roles allow)")
    issued_on: date | None
    expires_on: date | None = Field(description="the first day it no longer works")
    legacy: bool = Field(
        description="issued before scopes and expiries: the user's full roles, no expiry; "
        "replace it with a scoped token and revoke it"
    )


def token_out(token: IssuedToken) -> TokenOut:
    return TokenOut(
        token_id=token.token_id,
        label=token.label,
        scope=token.effective_scope.value,
        issued_on=token.issued_on,
        expires_on=token.expires_on,
        legacy=token.legacy,
    )


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    roles: list[str]
    authority_id: UUID | None
    disabled: bool
    tokens: list[TokenOut]
    email: str | None = Field(default=None, description="where the daily digest goes")
    language: str = Field(default="en", description="the language of the user's e-mail")
    language_chosen: bool = Field(
        default=False,
        description="whether the user chose the language (else the web UI follows the browser)",
    )
    abilities: list[str] = Field(
        default_factory=list, description="with /me: what the signed-in user may do"
    )


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=sorted(role.value for role in user.roles),
        authority_id=UUID(user.authority_id) if user.authority_id else None,
        disabled=user.disabled,
        tokens=[token_out(t) for t in user.tokens.values()],
        email=user.email,
        language=user.language.value,
        language_chosen=user.language_chosen,
    )


class NewTokenOut(BaseModel):
    user_id: UUID
    token_id: str | None
    token: str | None = Field(description="shown once; null when the request was a retry")
    scope: str | None = None
    expires_on: date | None = None


async def _managing(
    write: Annotated[Write, Depends(writer(Ability.MANAGE_USERS, key_options))],
    authenticator: AuthenticatorDep,
) -> AsyncIterator[Write]:
    yield write
    # Roles and tokens feed authentication: once a change is made, forget what this
    # process cached (before the answer goes out, so the caller's next request sees it).
    authenticator.forget_all()


Managing = Annotated[Write, Depends(_managing, scope="function")]


def _user(store: Rectrack, username: str) -> User:
    user = store.find(User, user_id_for(username))
    if user is None:
        raise NotFound("user", username)
    return user


def _target(write: Write, username: str) -> UUID:
    """The id of the user a write acts on; 404 for an unknown username."""
    return _user(write.runtime.app, username).id


@router.get("/me", summary="The signed-in user")
def me(principal: PrincipalDep, store: StoreDep) -> UserOut:
    out = user_out(store.get(User, principal.user_id))
    out.abilities = [ability.value for ability in principal.abilities]
    return out


# Anyone signed in (every role reads) may set where their own e-mail goes.
Own = Annotated[Write, Depends(writer(Ability.READ, key_options))]


@router.put("/me/contact", summary="Set your own e-mail address and language")
def set_my_contact(
    body: commands.SetUserContact, write: Own, authenticator: AuthenticatorDep
) -> CommandOut:
    out = run_command(write, body, target_id=write.actor.principal.user_id)
    # The caller's next request reads its new language here at once; the other processes
    # learn of it from the user-change notice.
    authenticator.forget(write.actor.principal.user_id)
    return out


@router.post("/users", status_code=201, summary="Create a user")
def create_user(body: commands.CreateUser, write: Managing) -> CommandOut:
    return run_command(write, body)


@router.get("/users/{username}", summary="One user, its roles and its token ids")
def get_user(username: Username, actor: Admin, store: StoreDep) -> UserOut:
    return user_out(_user(store, username))


@router.post("/users/{username}/roles", summary="Grant a role")
def grant_role(username: Username, body: commands.GrantRole, write: Managing) -> CommandOut:
    return run_command(write, body, target_id=_target(write, username))


@router.delete("/users/{username}/roles/{role}", summary="Revoke a role")
def revoke_role(username: Username, role: Role, write: Managing) -> CommandOut:
    return run_command(write, commands.RevokeRole(role=role), target_id=_target(write, username))


def _issued(write: Write, body: commands.IssueToken, user_id: UUID) -> NewTokenOut:
    result = execute_command(write, body, target_id=user_id)
    command_out(write, result)  # the ETag
    new = result.detail if isinstance(result.detail, NewToken) else None  # None on a replay
    return NewTokenOut(
        user_id=result.aggregate_id,
        token_id=new.token_id if new else None,
        token=new.token if new else None,
        scope=new.scope if new else None,
        expires_on=new.expires_on if new else None,
    )


@router.get("/users/{username}/tokens", summary="A user's live tokens (never the secrets)")
def list_tokens(username: Username, actor: Admin, store: StoreDep) -> list[TokenOut]:
    return [token_out(t) for t in _user(store, username).tokens.values()]


@router.post("/users/{username}/tokens", status_code=201, summary="Issue a token (shown once)")
def issue_token(username: Username, body: commands.IssueToken, write: Managing) -> NewTokenOut:
    return _issued(write, body, _target(write, username))


@router.delete("/users/{username}/tokens/{token_id}", summary="Revoke a token")
def revoke_token(
    username: Username, token_id: Annotated[str, Path(max_length=64)], write: Managing
) -> CommandOut:
    revoke = commands.RevokeToken(token_id=token_id)
    return run_command(write, revoke, target_id=_target(write, username))


@router.put("/users/{username}/contact", summary="Set the user's e-mail address and language")
def set_contact(username: Username, body: commands.SetUserContact, write: Managing) -> CommandOut:
    return run_command(write, body, target_id=_target(write, username))


@router.post("/users/{username}/disable", summary="Disable a user (its tokens stop working)")
def disable_user(username: Username, write: Managing) -> CommandOut:
    return run_command(write, commands.DisableUser(), target_id=_target(write, username))


# --- one's own tokens ---------------------------------------------------------------------

Keeper = Annotated[Actor, Depends(require(Ability.KEEP_OWN_TOKENS))]
TokenId = Annotated[str, Path(max_length=64)]


@router.get("/me/tokens", summary="My live API tokens (never the secrets)")
def my_tokens(actor: Keeper, store: StoreDep) -> list[TokenOut]:
    user = store.get(User, actor.principal.user_id)
    return [token_out(t) for t in user.tokens.values()]


@router.post("/me/tokens", status_code=201, summary="Issue myself an API token (shown once)")
def mint_my_token(
    body: commands.IssueToken,
    write: Annotated[Write, Depends(writer(Ability.MINT_OWN_TOKENS, key_options))],
) -> NewTokenOut:
    return _issued(write, body, write.actor.principal.user_id)


@router.delete("/me/tokens/{token_id}", summary="Revoke one of my API tokens")
def revoke_my_token(
    token_id: TokenId,
    write: Annotated[Write, Depends(writer(Ability.KEEP_OWN_TOKENS, key_options))],
    authenticator: AuthenticatorDep,
) -> CommandOut:
    revoke = commands.RevokeToken(token_id=token_id)
    out = run_command(write, revoke, target_id=write.actor.principal.user_id)
    authenticator.forget(write.actor.principal.user_id)
    return out
