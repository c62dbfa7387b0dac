"""A web session as another way to get a Principal (a bearer token is the other).

The browser holds only the session's id, in a cookie the page's scripts cannot read
(`HttpOnly`), sent only over HTTPS (`Secure`: browsers also accept it on
http://127.0.0.1 and localhost, the development case) and never with a request another
site starts (`SameSite=Strict`). On top of that, a write made with the cookie must
carry the session's CSRF token in `X-CSRF-Token` (the page got it when it signed in,
from a body no other origin can read), and an `Origin` that is not this server's is
refused: a forged form on another site has neither."""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from fastapi import Request, Response

from domain.user import User
from services.api.auth import Principal
from services.api.errors import ApiError
from services.application.signin import Opened, SignIn

COOKIE = "rectrack_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        roles=frozenset(user.roles),
        authority_id=UUID(user.authority_id) if user.authority_id else None,
        language=user.language.value if user.language_chosen else None,
    )


def check_origin(request: Request) -> None:
    """A request another site's page made names that site in Origin: refuse it."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin.split("://", 1)[-1] != host:
        raise ApiError(403, "csrf", "the request came from another site's page", field="Origin")


def session_principal(request: Request, signin: SignIn) -> Principal | None:
    """The principal of the session the cookie names; None when there is no cookie.
    An ended session, or a write without the session's CSRF token, is refused."""
    session_id = request.cookies.get(COOKIE)
    if not session_id:
        return None
    found = signin.session(session_id)
    if found is None:
        raise ApiError(
            401,
            "session_ended",
            "your session has ended (signed out, timed out or ended everywhere): sign in again",
            field=COOKIE,
        )
    user, session = found
    if request.method not in _SAFE:
        check_origin(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if not secrets.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiError(
                403,
                "csrf",
                "a write made with the session cookie needs the session's {header} header",
                field=CSRF_HEADER,
                values={"header": CSRF_HEADER},
            )
    request.state.session_id = session_id
    request.state.csrf_token = session.csrf_token
    return principal_of(user)


def set_session_cookie(response: Response, opened: Opened, signin: SignIn) -> None:
    response.set_cookie(
        COOKIE,
        opened.session_id,
        max_age=int(signin.policy.absolute.total_seconds()),
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def session_body(opened: Opened) -> dict[str, Any]:
    user = opened.user
    return {
        "username": user.username,
        "display_name": user.display_name,
        "csrf_token": opened.csrf_token,
    }
