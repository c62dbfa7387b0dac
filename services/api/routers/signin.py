"""Signing in and out of the web UI, one-time links, passwords and the second factor.

A sign-in answers with the session cookie (services/api/sessions.py) and, in the body,
the session's CSRF token the page sends back on every write. Refusals say why with a
stable `code`: `sign_in_failed` (never which of username and password was wrong),
`locked_out` (429 with Retry-After), `totp_required`, `totp_failed`,
`totp_enrolment_required` (with a fresh key to enrol), `link_invalid`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from domain.errors import InvalidInput, NotFound
from domain.user import User, user_id_for
from services.adapters.credentials import verify_password
from services.api.auth import Ability, Actor
from services.api.deps import PrincipalDep, SignInDep, StoreDep, require
from services.api.errors import ERROR_RESPONSES, ErrorOut
from services.api.sessions import (
    check_origin,
    clear_session_cookie,
    session_body,
    set_session_cookie,
)
from services.api.threads import OneHopRoute
from services.application.commands.base import NoNul
from services.application.executor import Caller
from services.application.signin import RESET_LINK, Opened, SignIn, SignInRefused

router = APIRouter(
    route_class=OneHopRoute,
    tags=["sign-in"],
    responses={
        **ERROR_RESPONSES,
        400: {"model": ErrorOut, "description": "a one-time link unknown, used or expired"},
        429: {"model": ErrorOut, "description": "locked out after failed sign-ins: Retry-After"},
    },
)

Admin = Annotated[Actor, Depends(require(Ability.MANAGE_USERS))]
Password = Annotated[str, Field(min_length=1, max_length=1000)]
Username = Annotated[str, Path(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._@-]+$")]

_STATUS = {"locked_out": 429, "link_invalid": 400}


class SignInBody(BaseModel):
    # The name is looked up in PostgreSQL, whose text cannot hold NUL: refused here, by
    # field, rather than failing in the database as a 500.
    username: Annotated[str, Field(min_length=1, max_length=64), NoNul]
    password: Password
    code: Annotated[str | None, Field(max_length=12, description="the TOTP code")] = None
    enrol_secret: Annotated[
        str | None,
        Field(
            pattern=r"^[A-Z2-7]{32}$",
            description="the key a totp_enrolment_required answer offered, with its first code",
        ),
    ] = None


class LinkBody(BaseModel):
    token: Annotated[str, Field(min_length=10, max_length=200), NoNul]


class ResetBody(LinkBody):
    password: Password


class SignInLinkBody(LinkBody):
    """A one-time sign-in link, with the second factor's code when the user has one."""

    code: Annotated[str | None, Field(default=None, max_length=10)] = None
    enrol_secret: Annotated[str | None, Field(default=None, pattern=r"^[A-Z2-7]{32}$")] = None


class ChangePasswordBody(BaseModel):
    current_password: Password
    new_password: Password


class TotpBody(BaseModel):
    secret: Annotated[str, Field(pattern=r"^[A-Z2-7]{32}$")]
    code: Annotated[str, Field(min_length=6, max_length=12)]


class SessionOut(BaseModel):
    username: str
    display_name: str
    csrf_token: str | None = Field(
        description="send it back as X-CSRF-Token on every write; null with a bearer token"
    )


class LinkOut(BaseModel):
    link: str
    expires_at: datetime


def refused(error: SignInRefused) -> JSONResponse:
    body: dict[str, Any] = {
        "code": error.code,
        "message": error.message,
        "field": error.field,
        "rule": None,
        "problems": [],
    }
    if error.enrol is not None:
        body["enrol"] = error.enrol
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return JSONResponse(body, status_code=_STATUS.get(error.code, 401), headers=headers)


def _opened(opened: Opened, signin: SignIn) -> JSONResponse:
    response = JSONResponse(session_body(opened))
    set_session_cookie(response, opened, signin)
    return response


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/session",
    summary="Sign in with a username and password (and a TOTP code when required)",
    response_model=SessionOut,
)
async def sign_in(body: SignInBody, request: Request, signin: SignInDep) -> Response:
    check_origin(request)
    try:
        opened = await run_in_threadpool(
            signin.sign_in,
            body.username,
            body.password,
            _address(request),
            code=body.code,
            enrol_secret=body.enrol_secret,
        )
    except SignInRefused as error:
        return refused(error)
    return _opened(opened, signin)


@router.post("/session/link", summary="Sign in with a one-time link", response_model=SessionOut)
async def sign_in_with_link(body: SignInLinkBody, request: Request, signin: SignInDep) -> Response:
    check_origin(request)
    try:
        opened = await run_in_threadpool(
            lambda: signin.sign_in_with_link(
                body.token, code=body.code, enrol_secret=body.enrol_secret
            )
        )
    except SignInRefused as error:
        return refused(error)
    return _opened(opened, signin)


@router.get("/session", summary="The current web session (its CSRF token)")
def current_session(request: Request, principal: PrincipalDep, store: StoreDep) -> SessionOut:
    csrf = getattr(request.state, "csrf_token", None)
    user = store.get(User, principal.user_id)
    return SessionOut(username=user.username, display_name=user.display_name, csrf_token=csrf)


@router.delete("/session", status_code=204, summary="Sign out (this session)")
def sign_out(request: Request, principal: PrincipalDep, signin: SignInDep) -> Response:
    session_id = getattr(request.state, "session_id", None)
    if session_id is not None:
        signin.sign_out(session_id)
    response = Response(status_code=204)
    clear_session_cookie(response)
    return response


class EndedOut(BaseModel):
    ended: int = Field(description="how many sessions ended")


@router.delete("/sessions", summary="Sign out everywhere (every session of the caller)")
def sign_out_everywhere(principal: PrincipalDep, signin: SignInDep) -> JSONResponse:
    ended = signin.sign_out_everywhere(principal.user_id)
    response = JSONResponse(EndedOut(ended=ended).model_dump())
    clear_session_cookie(response)
    return response


@router.post(
    "/users/{username}/password-reset",
    status_code=201,
    summary="Make a one-time password-reset link for a user (an administrator)",
)
def make_reset_link(
    username: Username, actor: Admin, request: Request, store: StoreDep, signin: SignInDep
) -> LinkOut:
    user = store.find(User, user_id_for(username))
    if user is None:
        raise NotFound("user", username)
    token, expires_at = signin.link(user.id, RESET_LINK)
    base = str(request.base_url).rstrip("/")
    return LinkOut(link=f"{base}/ui/#/reset/{token}", expires_at=expires_at)


@router.post("/password-reset", status_code=204, summary="Set a password with a reset link")
def reset_password(body: ResetBody, request: Request, signin: SignInDep) -> Response:
    check_origin(request)
    try:
        signin.reset_password(body.token, body.password)
    except SignInRefused as error:
        return refused(error)
    return Response(status_code=204)


@router.put("/me/password", status_code=204, summary="Change your own password")
def change_password(
    body: ChangePasswordBody, principal: PrincipalDep, store: StoreDep, signin: SignInDep
) -> Response:
    user = store.get(User, principal.user_id)
    if not verify_password(user.password_hash, body.current_password):
        raise InvalidInput("current_password", "is not your current password")
    role = sorted(principal.roles)[0] if principal.roles else "user"
    signin.set_password(Caller(str(user.id), role), user.id, body.new_password)
    return Response(status_code=204)


@router.get("/me/totp/new", summary="A fresh second-factor key to enrol (not yet kept)")
def new_totp(principal: PrincipalDep, store: StoreDep, signin: SignInDep) -> dict[str, str]:
    return signin.new_totp(store.get(User, principal.user_id))


@router.post("/me/totp", status_code=204, summary="Enable the second factor with its first code")
def enable_totp(
    body: TotpBody, principal: PrincipalDep, store: StoreDep, signin: SignInDep
) -> Response:
    signin.enable_totp(store.get(User, principal.user_id), body.secret, body.code)
    return Response(status_code=204)
