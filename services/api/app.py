"""The FastAPI application factory.

`build_api()` is the routes alone (what the OpenAPI document describes); `create_app`
attaches a runtime to it, so the document can be produced without a database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg_pool import ConnectionPool

from services.adapters.database import plain_conninfo
from services.api import observed
from services.api.context import RequestContext
from services.api.deps import attach, attached_read_pool, attached_user_changes
from services.api.docs import mount_docs
from services.api.errors import install_error_handlers
from services.api.headers import wrap_application
from services.api.limits import DEFAULT_MAX_REQUEST_BYTES, BodySizeLimit
from services.api.routers import (
    access,
    evidence,
    export,
    health,
    letters,
    public_register,
    recommendations,
    registry,
    signin,
    sso,
    stats,
    tasks,
    users,
)
from services.application.runtime import Runtime
from services.web import mount_web_ui

API_PREFIX = "/api/v1"
LISTEN_WAIT_SECONDS = 5.0


@asynccontextmanager
async def _lifespan(api: FastAPI) -> AsyncIterator[None]:
    pool = attached_read_pool(api)
    changes = attached_user_changes(api)
    if pool is not None:
        pool.open()
    if changes is not None:
        changes.start()
        # Serve once revocations reach this process (else its cache would fall back to
        # entries of a few seconds, token_cache.py); a database that is down answers 503.
        await asyncio.to_thread(changes.listening.wait, LISTEN_WAIT_SECONDS)
    try:
        yield
    finally:
        if changes is not None:
            changes.stop()
        if pool is not None:
            pool.close()


def build_api(
    *,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    document_max_bytes: int | None = None,
    trust_proxy_headers: bool = False,
) -> FastAPI:
    api = FastAPI(
        title="rectrack",
        version="1",
        summary="Recommendation tracking for National Preventive Mechanisms.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served from a package below, not from a CDN
        redoc_url=None,
        lifespan=_lifespan,
    )
    install_error_handlers(api)
    # The last added runs first: the request context (log, metrics, span), then the
    # body's size limit.
    api.add_middleware(
        BodySizeLimit, max_bytes=max_request_bytes, upload_max_bytes=document_max_bytes
    )
    api.add_middleware(RequestContext)
    mount_docs(api, f"{API_PREFIX}/openapi.json")
    api.include_router(health.router)
    api.include_router(observed.router)
    # export before recommendations: /recommendations/export is not a recommendation id.
    # A request is matched against the routes in order: the busiest paths first.
    for module in (export, recommendations, registry, tasks, stats, users, access, signin, sso):
        api.include_router(module.router, prefix=API_PREFIX)
    api.include_router(evidence.router, prefix=API_PREFIX)
    api.include_router(letters.router, prefix=API_PREFIX)
    api.include_router(public_register.router)
    mount_web_ui(api)
    wrap_application(api, trust_proxy_headers=trust_proxy_headers)
    return api


def create_app(runtime: Runtime, *, read_pool_size: int = 10) -> FastAPI:
    settings = runtime.settings
    api = build_api(
        max_request_bytes=settings.max_request_bytes,
        document_max_bytes=settings.document_max_bytes,
        trust_proxy_headers=settings.trust_proxy_headers,
    )
    # Queries on the views use a pool of their own, so that a slow statistics query never
    # holds a connection a command is waiting for. Its connections wait for a lock and run
    # a statement no longer than the store's do: a view locked by a rebuild answers 503,
    # it does not hang the request.
    lock_ms = settings.lock_timeout_seconds * 1000
    statement_ms = settings.statement_timeout_seconds * 1000
    read_pool = ConnectionPool(
        plain_conninfo(
            runtime.database_url,
            options=f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms}",
            connect_timeout=settings.pool_timeout_seconds,
        ),
        min_size=1,
        max_size=read_pool_size,
        open=False,
        timeout=settings.pool_timeout_seconds,
        kwargs={"autocommit": True},
        name="rectrack-api-reads",
    )
    attach(api, runtime, read_pool)
    api.state.retry_after_seconds = settings.retry_after_seconds
    return api
