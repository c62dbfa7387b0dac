"""Single sign-on with the organisation's OpenID Connect provider (RECTRACK_OIDC_*).

`/oidc/login` sends the browser to the provider with a fresh state, nonce and PKCE
challenge (kept server-side, and the state also in a short-lived cookie, so only the
browser that began a sign-on can finish it); `/oidc/callback` finishes it, finds or
creates the user with the roles its groups map to (services/application/sso.py), and
opens the same web session a password sign-in opens. The flow's cookie is SameSite=Lax:
the provider sends the browser back with a top-level navigation from its own site, which
a Strict cookie would not survive; the session cookie set then is Strict as always."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from services.adapters.oidc import OidcFailed
from services.api.deps import OidcDep, RuntimeDep, SignInDep
from services.api.errors import ERROR_RESPONSES, ApiError, ErrorOut
from services.api.routers.signin import refused
from services.api.sessions import set_session_cookie
from services.api.threads import OneHopRoute
from services.application.signin import SignInRefused
from services.application.sso import provision

router = APIRouter(
    route_class=OneHopRoute,
    tags=["sign-in"],
    responses={
        **ERROR_RESPONSES,
        400: {"model": ErrorOut, "description": "a sign-on not begun here, used or too old"},
        502: {"model": ErrorOut, "description": "the identity provider cannot be reached"},
    },
)

FLOW_COOKIE = "rectrack_oidc"
FLOW_PATH = "/api/v1/oidc"
FLOW_TTL = timedelta(minutes=10)


class SignInOptions(BaseModel):
    single_sign_on: bool


@router.get("/sign-in-options", summary="How people can sign in here")
async def sign_in_options(oidc: OidcDep) -> SignInOptions:
    return SignInOptions(single_sign_on=oidc is not None)


def _callback_url(request: Request) -> str:
    return str(request.url_for("oidc_callback"))


@router.get("/oidc/login", summary="Sign in with the organisation's identity provider")
def oidc_login(request: Request, oidc: OidcDep, signin: SignInDep) -> RedirectResponse:
    if oidc is None:
        raise ApiError(404, "not_found", "single sign-on is not set up here")
    try:
        started = oidc.begin(_callback_url(request))
    except OidcFailed as error:
        raise ApiError(502, "sso_unavailable", str(error)) from error
    signin.store.begin_flow(started.state, started.verifier, started.nonce, signin.clock())
    response = RedirectResponse(started.url, status_code=303)
    response.set_cookie(
        FLOW_COOKIE,
        started.state,
        max_age=int(FLOW_TTL.total_seconds()),
        path=FLOW_PATH,
        secure=True,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get(
    "/oidc/callback",
    summary="Where the identity provider sends the browser back",
    response_model=None,
)
async def oidc_callback(
    request: Request,
    oidc: OidcDep,
    signin: SignInDep,
    runtime: RuntimeDep,
    code: Annotated[str, Query(min_length=1, max_length=2000)],
    state: Annotated[str, Query(min_length=1, max_length=200)],
) -> Response:
    if oidc is None:
        raise ApiError(404, "not_found", "single sign-on is not set up here")
    began = request.cookies.get(FLOW_COOKIE, "")
    if not secrets.compare_digest(began.encode(), state.encode()):
        raise ApiError(
            400, "sso_state", "this sign-on was not begun in this browser", field="state"
        )
    flow = signin.store.take_flow(state, signin.clock(), FLOW_TTL)
    if flow is None:
        raise ApiError(400, "sso_state", "this sign-on is unknown, used or too old", field="state")
    verifier, nonce = flow
    settings = runtime.settings
    try:
        claims = await run_in_threadpool(oidc.finish, code, _callback_url(request), verifier, nonce)
        user = await run_in_threadpool(
            provision,
            runtime.executor,
            oidc.issuer,
            claims,
            groups_claim=settings.oidc_groups_claim,
            role_map=settings.oidc_roles,
        )
        opened = signin.open_for(user, "oidc")
    except OidcFailed as error:
        raise ApiError(401, "sso_failed", str(error)) from error
    except SignInRefused as error:
        return refused(error)
    response = RedirectResponse("/ui/#/inbox", status_code=303)
    set_session_cookie(response, opened, signin)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, secure=True, httponly=True)
    return response
