"""Liveness and readiness, unauthenticated, for process supervisors and `rectrack up`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from services.api.deps import ReadPool

router = APIRouter(tags=["health"])


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
    try:
        with pool.connection(timeout=2.0) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # any failure means "not ready", and says why
        return JSONResponse(
            HealthOut(status="unavailable", detail=str(error)[:500]).model_dump(),
            status_code=503,
        )
    return HealthOut(status="ready")
