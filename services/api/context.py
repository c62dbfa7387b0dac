"""Per-request context and measures: a request id (the caller's X-Request-ID, or a new
one) bound to every log line of the request, echoed in the response, and one summary
line per request; the request counted and timed by route template (services/api/
observed.py); with tracing on, the request's span (continuing the caller's
`traceparent`), which the commands it runs are children of. One plain ASGI middleware:
Starlette's BaseHTTPMiddleware would run the endpoint in another task and lose the
bindings made by the auth dependency, and every layer of middleware is a wrapped `send`
and a frame per message on every request (`make bench-api`, profiled)."""

from __future__ import annotations

import logging
import re
import time
import uuid

import structlog
from opentelemetry.trace import SpanKind
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.adapters.metrics import count_request
from services.adapters.tracing import continued, tracer, tracing_on
from services.api.observed import route_template

log = structlog.get_logger("rectrack.api")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        caller = headers.get(b"traceparent", b"").decode("latin-1")
        if not tracing_on():
            # No span to open (opening the no-op one cost a few percent of a small read);
            # the caller's trace is still the context, as with tracing on.
            with continued(caller or None):
                try:
                    await self.app(scope, receive, send_with_id)
                finally:
                    self._log(scope, status, started)
            return
        method = str(scope.get("method"))
        with (
            continued(caller or None),
            tracer().start_as_current_span(method, kind=SpanKind.SERVER) as span,
        ):
            span.set_attribute("http.request.method", method)
            span.set_attribute("url.path", str(scope.get("path")))
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                span.update_name(f"{method} {route_template(scope)}")
                span.set_attribute("http.response.status_code", status)
                self._log(scope, status, started)

    @staticmethod
    def _log(scope: Scope, status: int, started: float) -> None:
        seconds = time.perf_counter() - started
        method = str(scope.get("method", ""))
        count_request(method, route_template(scope), status, seconds)
        if _info_logged():
            log.info(
                "request",
                method=method,
                path=scope.get("path"),
                status=status,
                duration_ms=round(seconds * 1000, 2),
            )
        structlog.contextvars.clear_contextvars()


def _info_logged() -> bool:
    """Whether an info line would be written (structlog's filtering logger drops it
    otherwise, but only after its fields are built and a logger is bound for it)."""
    wrapper = structlog.get_config()["wrapper_class"]
    enabled = getattr(wrapper, "is_enabled_for", None)
    return enabled is None or bool(enabled(wrapper, logging.INFO))
