"""What a route may ask FastAPI for: the runtime (whose executor runs every write, see
writes.py), its store, a connection to the views, the authenticator, and the caller
(authenticated, and allowed the route's ability). This is the one module that knows what
`app.state` holds, so routes declare what they need in their signatures instead of
reaching into the application object."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from psycopg import Connection
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from services.adapters.documents import DocumentStore
from services.adapters.oidc import OidcProvider
from services.adapters.signin_store import SignInStore
from services.adapters.user_changes import UserChanges
from services.api.auth import SCOPE_NEEDED, Ability, Actor, Principal
from services.api.errors import ApiError
from services.api.language import language_of
from services.api.sessions import session_principal
from services.api.token_cache import Authenticator
from services.application.access_records import AccessRecorder
from services.application.catalogs import Speech
from services.application.runtime import Runtime
from services.application.signin import SignIn, SignInPolicy
from services.application.store import Rectrack


def attach(api: FastAPI, runtime: Runtime, read_pool: ConnectionPool) -> None:
    """Give the application what the dependencies below hand to the routes."""
    api.state.runtime = runtime
    authenticator = Authenticator(runtime.app, clock=runtime.executor.clock)
    api.state.authenticator = authenticator
    api.state.read_pool = read_pool
    api.state.access = AccessRecorder(runtime.app, clock=runtime.executor.clock)
    # Revocations made anywhere reach this process's cache at once (token_cache.py).
    api.state.user_changes = UserChanges(
        runtime.database_url,
        runtime.settings.database_schema,
        changed=authenticator.forget,
        reconnected=authenticator.listening,
        disconnected=authenticator.not_listening,
    )

    # Sessions, lockout and one-time links (services/application/signin.py), on the
    # read pool's autocommit connections: each is one short statement.
    store = SignInStore(read_pool.connection, runtime.settings.database_schema)
    api.state.signin = SignIn(runtime.executor, store, SignInPolicy.from_settings(runtime.settings))
    settings = runtime.settings
    api.state.oidc = None
    if settings.oidc_issuer and settings.oidc_client_id:
        secret = settings.oidc_client_secret
        api.state.oidc = OidcProvider(
            settings.oidc_issuer,
            settings.oidc_client_id,
            secret.get_secret_value() if secret else "",
        )


def attached_user_changes(api: FastAPI) -> UserChanges | None:
    """The listener for user changes, if a runtime was attached."""
    changes: UserChanges | None = getattr(api.state, "user_changes", None)
    return changes


def attached_read_pool(api: FastAPI) -> ConnectionPool | None:
    """The read pool, if a runtime was attached (the bare routes have none)."""
    pool: ConnectionPool | None = getattr(api.state, "read_pool", None)
    return pool


async def get_runtime(request: Request) -> Runtime:
    # These look-ups are async so that FastAPI runs them on the event loop, not in a
    # worker thread of their own.
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


# Read from the request, not through get_runtime: each level of dependencies costs
# FastAPI's resolution on every request, and these are on every read.
async def get_store(request: Request) -> Rectrack:
    runtime: Runtime = request.app.state.runtime
    return runtime.app


async def get_schema(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    return runtime.settings.database_schema


async def get_read_pool(request: Request) -> ConnectionPool:
    pool: ConnectionPool = request.app.state.read_pool
    return pool


async def get_authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def get_signin(request: Request) -> SignIn:
    signin: SignIn = request.app.state.signin
    return signin


async def get_oidc(request: Request) -> OidcProvider | None:
    """The organisation's identity provider, when single sign-on is set up."""
    provider: OidcProvider | None = getattr(request.app.state, "oidc", None)
    return provider


OidcDep = Annotated[OidcProvider | None, Depends(get_oidc)]
SignInDep = Annotated[SignIn, Depends(get_signin)]


async def get_access_recorder(request: Request) -> AccessRecorder:
    access: AccessRecorder = request.app.state.access
    return access


StoreDep = Annotated[Rectrack, Depends(get_store)]
#: where reads of internal records are recorded (services/application/access_records.py)
AccessDep = Annotated[AccessRecorder, Depends(get_access_recorder)]
# The schema that holds the views (and the events) of this deployment.
Schema = Annotated[str, Depends(get_schema)]
ReadPool = Annotated[ConnectionPool, Depends(get_read_pool)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]


async def read_connection(request: Request) -> AsyncIterator[Connection]:
    # Taken in a worker thread (it may wait for a free connection, or ping one idle for
    # a while); given back on the event loop, where an idle autocommit connection goes
    # back without a word to the server. A plain generator would cost two thread hops.
    # The pool straight from app.state: a sub-dependency is a level of resolution.
    pool: ConnectionPool = request.app.state.read_pool
    conn = await run_in_threadpool(pool.getconn)
    try:
        yield conn
    finally:
        pool.putconn(conn)


# Handed back to the pool when the route returns, before the answer is sent.
ReadConnection = Annotated[Connection, Depends(read_connection, scope="function")]


bearer = HTTPBearer(auto_error=False, description="A token from `rectrack users token`.")

_UNAUTHENTICATED = {"WWW-Authenticate": "Bearer"}


async def authenticated(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
) -> Principal:
    return await _caller(request, credentials)


async def _caller(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The signed-in caller, once per request (the route's ability and its Speech both
    ask). The authenticator and the sign-in service straight from app.state: this runs
    on every request, and each sub-dependency is a level of FastAPI's resolution."""
    known: Principal | None = request.scope.get(_PRINCIPAL)
    if known is not None:
        return known
    if credentials is None and request.cookies:
        # A person in the web UI: the session cookie (services/api/sessions.py).
        signin: SignIn = request.app.state.signin
        principal = await run_in_threadpool(session_principal, request, signin)
        if principal is not None:
            return _signed_in(request, principal)
    if credentials is None:
        raise ApiError(
            401,
            "unauthenticated",
            "sign in, or send 'Authorization: Bearer <token>'",
            field="Authorization",
            headers=_UNAUTHENTICATED,
        )
    authenticator: Authenticator = request.app.state.authenticator
    answered, principal = authenticator.cached(credentials.credentials)
    if not answered:
        principal = await run_in_threadpool(authenticator.authenticate, credentials.credentials)
    if principal is None:
        raise ApiError(
            401,
            "unauthenticated",
            "the token is unknown, expired, revoked, or belongs to a disabled user",
            field="Authorization",
            headers=_UNAUTHENTICATED,
        )
    return _signed_in(request, principal)


_PRINCIPAL = "rectrack.principal"


def _signed_in(request: Request, principal: Principal) -> Principal:
    structlog.contextvars.bind_contextvars(user=principal.username, user_id=str(principal.user_id))
    request.state.language = principal.language  # services/api/language.py
    request.scope[_PRINCIPAL] = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(authenticated)]


async def speech_of(request: Request, principal: PrincipalDep) -> Speech:
    """The signed-in caller's Speech, in the language services/api/language.py picks:
    after authentication, so the language chosen in their profile counts."""
    return Speech(principal.language or language_of(request))


SpeechDep = Annotated[Speech, Depends(speech_of)]


def require(ability: Ability) -> Callable[..., Awaitable[Actor]]:
    """A dependency: the caller, if one of its roles holds `ability`; else 403."""

    # The caller's credentials asked for here, not through `authenticated`: one level
    # of dependencies less on every request (the OpenAPI document is the same).
    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Actor:
        return _allowed(await _caller(request, credentials), ability)

    dependency.__name__ = f"require_{ability.value}"
    return dependency


@dataclass(frozen=True)
class Reading:
    """What a busy read needs, from one dependency: the caller allowed to read, the store,
    where reads are recorded, the views' schema and their pool (each a dependency of its
    own would be a level of FastAPI's resolution on every request). The route takes a
    connection from the pool in its worker thread and gives it back there (`with
    read.pool.connection()`), which costs no hop: ReadConnection, a generator, costs
    FastAPI an exit stack per request."""

    actor: Actor
    store: Rectrack
    access: AccessRecorder
    schema: str
    pool: ConnectionPool


def reading(ability: Ability) -> Callable[..., Awaitable[Reading]]:
    """A dependency: `require(ability)`'s caller with the store, access and schema."""

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Reading:
        actor = _allowed(await _caller(request, credentials), ability)
        state = request.app.state
        runtime: Runtime = state.runtime
        schema = runtime.settings.database_schema
        return Reading(actor, runtime.app, state.access, schema, state.read_pool)

    dependency.__name__ = f"reading_{ability.value}"
    return dependency


def _allowed(principal: Principal, ability: Ability) -> Actor:
    """The caller acting in its most senior role that holds `ability`; else 403."""
    if not principal.scope_allows(ability):
        needed = SCOPE_NEEDED[ability].value
        raise ApiError(
            403,
            "forbidden",
            "this token's scope is {scope}; to {action} it takes a token of scope {needed}",
            field="Authorization",
            rule=f"scope {needed}",
            values={
                "scope": principal.scope.value,
                "action": ability.value.replace("_", " "),
                "needed": needed,
            },
        )
    role = principal.role_for(ability)
    if role is None:
        raise ApiError(
            403,
            "forbidden",
            "none of your roles ({roles}) may {action}",
            values={
                "roles": ", ".join(sorted(principal.roles)) or "none",
                "action": ability.value.replace("_", " "),
            },
        )
    return Actor(principal, role)


async def get_documents(request: Request, runtime: RuntimeDep) -> DocumentStore:
    """The evidence documents' store (services/adapters/documents.py), made once."""
    documents: DocumentStore | None = getattr(request.app.state, "documents", None)
    if documents is None:
        documents = DocumentStore(runtime.database_url, runtime.settings.database_schema)
        request.app.state.documents = documents
    return documents


DocumentsDep = Annotated[DocumentStore, Depends(get_documents)]
