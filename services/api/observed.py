"""The API's part in observability and shutdown: /metrics, the route template requests
are counted and timed by (never the raw path, which would make a series per
recommendation; services/api/context.py counts them), and the drain flag that readiness
answers 503 on from the moment SIGTERM arrives."""

from __future__ import annotations

import os
import threading

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response
from starlette.types import Scope

from services.api.threads import OneHopRoute

DRAIN_FLAG_VARIABLE = "RECTRACK_DRAIN_FLAG"


class Drain:
    """Set on SIGTERM (services/cli/processes.py): readiness answers 503 while the process
    still serves the requests a load balancer already sent it. With several uvicorn
    workers the signal reaches their parent first, which sets it for all of them by
    creating the file named in RECTRACK_DRAIN_FLAG (inherited by every worker)."""

    def __init__(self) -> None:
        self._here = threading.Event()

    def set(self) -> None:
        self._here.set()

    def is_set(self) -> bool:
        if self._here.is_set():
            return True
        flag = os.environ.get(DRAIN_FLAG_VARIABLE)
        return flag is not None and os.path.exists(flag)


DRAINING = Drain()

router = APIRouter(route_class=OneHopRoute, tags=["health"])


@router.get("/metrics", summary="Prometheus metrics of this process", include_in_schema=False)
def prometheus_metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def route_template(scope: Scope) -> str:
    """The request's path with each path parameter put back as `{name}` (an included
    router's route knows its path only without the prefix); "unmatched" for a path no
    route took, so a scan of random URLs makes no series."""
    if scope.get("route") is None:
        return "unmatched"
    known: str | None = scope.get(_TEMPLATE)
    if known is not None:
        return known  # the span's name and the metrics both ask, once it has answered
    by_value = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    segments = str(scope.get("path", "")).split("/")
    template = "/".join(f"{{{by_value[s]}}}" if s in by_value else s for s in segments)
    scope[_TEMPLATE] = template
    return template


_TEMPLATE = "rectrack.route_template"
