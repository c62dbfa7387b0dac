"""Liveness and readiness, unauthenticated, for process supervisors and `rectrack up`."""

from __future__ import annotations

import structlog
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.api.deps import ReadPool
from services.api.observed import DRAINING
from services.api.threads import OneHopRoute

router = APIRouter(route_class=OneHopRoute, tags=["health"])
log = structlog.get_logger(__name__)


class HealthOut(BaseModel):
    status: str
    detail: str | None = None


@router.get("/healthz", summary="The process is alive")
def healthz() -> HealthOut:
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    summary="The database answers",
    response_model=HealthOut,
    responses={503: {"model": HealthOut, "description": "not ready"}},
)
def readyz(pool: ReadPool) -> HealthOut | JSONResponse:
    if DRAINING.is_set():
        # Stopping: the load balancer sends new requests elsewhere while this process
        # finishes the ones it has.
        return JSONResponse(
            HealthOut(status="draining", detail="the process is stopping").model_dump(),
            status_code=503,
        )
    try:
        with pool.connection(timeout=2.0) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure means "not ready"
        # The reason goes to the log; the unauthenticated answer names no host, user or
        # statement.
        log.warning("not ready", error=repr(error)[:500])
        return JSONResponse(
            HealthOut(status="unavailable", detail="the database does not answer").model_dump(),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return HealthOut(status="ready")
