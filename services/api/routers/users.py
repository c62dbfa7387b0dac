"""Users, roles and tokens (administrators only), and `me` for anyone signed in."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.errors import NotFound
from domain.user import User
from domain.values import Role
from services.api.auth import Ability, Actor, Authenticator, Principal, authenticated, require
from services.api.errors import ERROR_RESPONSES
from services.api.writes import CommandOut, IdempotencyKey, command_meta, command_out
from services.application.commands.base import NoNul
from services.application.executor import CommandResult
from services.application.runtime import Runtime

router = APIRouter(tags=["users"], responses=ERROR_RESPONSES)

Admin = Annotated[Actor, Depends(require(Ability.MANAGE_USERS))]
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]+$")]


class TokenOut(BaseModel):
    token_id: str
    label: str


class UserOut(BaseModel):
    id: UUID
    username: str
    display_name: str
    roles: list[str]
    authority_id: UUID | None
    disabled: bool
    tokens: list[TokenOut]
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
        tokens=[TokenOut(token_id=t.token_id, label=t.label) for t in user.tokens.values()],
    )


class CreateUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64), NoNul
    ]
    display_name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
    reason: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None


class GrantRole(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role
    authority_id: UUID | None = Field(default=None, description="for authority_liaison only")
    reason: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None


class IssueToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), NoNul] = "api"


class NewTokenOut(BaseModel):
    user_id: UUID
    token_id: str | None
    token: str | None = Field(description="shown once; null when the request was a retry")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _user(request: Request, username: str) -> User:
    user = _runtime(request).app.find_user(username)
    if user is None:
        raise NotFound("user", username)
    return user


def _done(request: Request, response: Response, result: CommandResult) -> CommandOut:
    # Roles and tokens feed authentication: forget what this process cached.
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.forget_all()
    return command_out(request, response, result)


@router.get("/me", summary="The signed-in user")
def me(request: Request, principal: Annotated[Principal, Depends(authenticated)]) -> UserOut:
    out = user_out(_runtime(request).app.get_user(principal.user_id))
    out.abilities = [ability.value for ability in principal.abilities]
    return out


@router.post("/users", status_code=201, summary="Create a user")
def create_user(
    body: CreateUser,
    request: Request,
    response: Response,
    actor: Admin,
    idempotency_key: IdempotencyKey = None,
) -> CommandOut:
    result = _runtime(request).app.create_user(
        command_meta(actor, idempotency_key, body.reason),
        username=body.username,
        display_name=body.display_name,
    )
    return _done(request, response, result)


@router.get("/users/{username}", summary="One user, its roles and its token ids")
def get_user(username: Username, request: Request, actor: Admin) -> UserOut:
    return user_out(_user(request, username))


@router.post("/users/{username}/roles", summary="Grant a role")
def grant_role(
    username: Username,
    body: GrantRole,
    request: Request,
    response: Response,
    actor: Admin,
    idempotency_key: IdempotencyKey = None,
) -> CommandOut:
    user = _user(request, username)
    result = _runtime(request).app.grant_role(
        command_meta(actor, idempotency_key, body.reason),
        user.id,
        role=body.role,
        authority_id=body.authority_id,
    )
    return _done(request, response, result)


@router.delete("/users/{username}/roles/{role}", summary="Revoke a role")
def revoke_role(
    username: Username,
    role: Role,
    request: Request,
    response: Response,
    actor: Admin,
    idempotency_key: IdempotencyKey = None,
) -> CommandOut:
    user = _user(request, username)
    result = _runtime(request).app.revoke_role(
        command_meta(actor, idempotency_key), user.id, role=role
    )
    return _done(request, response, result)


@router.post("/users/{username}/tokens", status_code=201, summary="Issue a token (shown once)")
def issue_token(
    username: Username,
    body: IssueToken,
    request: Request,
    response: Response,
    actor: Admin,
    idempotency_key: IdempotencyKey = None,
) -> NewTokenOut:
    user = _user(request, username)
    app = _runtime(request).app
    result, new = app.issue_token(command_meta(actor, idempotency_key), user.id, label=body.label)
    _done(request, response, result)
    return NewTokenOut(
        user_id=user.id,
        token_id=new.token_id if new else None,
        token=new.token if new else None,
    )


@router.delete("/users/{username}/tokens/{token_id}", summary="Revoke a token")
def revoke_token(
    username: Username,
    token_id: Annotated[str, Path(max_length=64)],
    request: Request,
    response: Response,
    actor: Admin,
    idempotency_key: IdempotencyKey = None,
) -> CommandOut:
    user = _user(request, username)
    result = _runtime(request).app.revoke_token(
        command_meta(actor, idempotency_key), user.id, token_id=token_id
    )
    return _done(request, response, result)


@router.post("/users/{username}/disable", summary="Disable a user (its tokens stop working)")
def disable_user(
    username: Username,
    request: Request,
    response: Response,
    actor: Admin,
    idempotency_key: IdempotencyKey = None,
) -> CommandOut:
    user = _user(request, username)
    result = _runtime(request).app.disable_user(command_meta(actor, idempotency_key), user.id)
    return _done(request, response, result)
