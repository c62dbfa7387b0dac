"""A limit on the size of request bodies, enforced before anything parses them: a body
declared larger than the limit is refused at once, and one that turns out larger while it
streams in (no Content-Length, or a false one) is cut off at the limit. Both answers are
413 in the API's error shape. A plain ASGI middleware, like RequestContext."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024
UPLOAD_PATH_END = "/evidence"


def _too_large_body(limit: int) -> bytes:
    return json.dumps(
        {
            "code": "request_too_large",
            "message": f"the request body is larger than the limit of {limit} bytes",
            "field": "body",
            "rule": f"must be at most {limit} bytes",
            "problems": [],
        }
    ).encode("utf-8")


class RequestTooLarge(HTTPException):
    """Raised while the body streams in: an HTTP error, so the framework's body parsing
    lets it through and the API's error handlers answer it (413, request_too_large)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
        upload_max_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Evidence documents (routers/evidence.py) are bodies of their own kind: photos
        # and scanned letters, with their own limit (RECTRACK_DOCUMENT_MAX_BYTES).
        self.upload_max_bytes = upload_max_bytes or max_bytes

    def _limit_of(self, scope: Scope) -> int:
        upload = scope.get("method") == "POST" and str(scope.get("path", "")).endswith(
            UPLOAD_PATH_END
        )
        return self.upload_max_bytes if upload else self.max_bytes

    async def _refuse(self, send: Send, limit: int) -> None:
        body = _too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode("ascii")),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_of(scope)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > limit
            except ValueError:
                too_large = False  # the server refuses a malformed length itself
            if too_large:
                await self._refuse(send, limit)
                return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestTooLarge:
            if not started:
                await self._refuse(send, limit)
