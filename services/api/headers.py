"""Security headers on every response the API process sends, errors included.

- `X-Content-Type-Options: nosniff` everywhere: a browser never guesses a type (an evidence
  document uploaded as a PDF is never run as a page);
- `Cache-Control: no-store` on every answer to a caller who sent credentials (a bearer
  token or a session cookie), unless the route chose its own: internal records must not
  stay in a shared or browser cache;
- a Content-Security-Policy on every HTML page that has none of its own (the web UI and
  /docs set stricter or narrower ones), with `frame-ancestors 'none'`;
- `Strict-Transport-Security` when the request came over TLS: the scheme uvicorn saw, or,
  when the operator says the proxy in front is trusted (RECTRACK_TRUST_PROXY_HEADERS),
  its `X-Forwarded-Proto`.

It wraps the whole application, outside Starlette's own error middleware, so that a 500
carries the headers too (see `wrap_application`).
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The policy of an HTML page that sets none: no script but this server's files, no
# framing; inline styles allowed (the annual report's page carries its own).
HTML_POLICY = (
    b"default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    b"img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'self'; "
    b"base-uri 'none'; frame-ancestors 'none'"
)
HSTS = b"max-age=31536000; includeSubDomains"


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, trust_proxy_headers: bool = False) -> None:
        self.app = app
        self.trust_proxy_headers = trust_proxy_headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope.get("headers") or [])
        credentials = b"authorization" in request_headers or b"cookie" in request_headers
        tls = scope.get("scheme") == "https" or (
            self.trust_proxy_headers
            and request_headers.get(b"x-forwarded-proto", b"").split(b",")[0].strip() == b"https"
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                added = [(b"x-content-type-options", b"nosniff")]
                if credentials and b"cache-control" not in names:
                    added.append((b"cache-control", b"no-store"))
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                html = content_type.startswith(b"text/html")
                if html and b"content-security-policy" not in names:
                    added.append((b"content-security-policy", HTML_POLICY))
                if html and b"referrer-policy" not in names:
                    added.append((b"referrer-policy", b"no-referrer"))
                if tls:
                    added.append((b"strict-transport-security", HSTS))
                message["headers"] = [
                    *[(n, v) for n, v in headers if n.lower() != b"x-content-type-options"],
                    *added,
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def wrap_application(api: FastAPI, *, trust_proxy_headers: bool) -> None:
    """Put SecurityHeaders outside everything Starlette builds, its error middleware
    included (FastAPI's `add_middleware` would place it inside, where a 500 never passes)."""
    build = api.build_middleware_stack

    def build_with_headers() -> ASGIApp:
        return SecurityHeaders(build(), trust_proxy_headers=trust_proxy_headers)

    api.build_middleware_stack = build_with_headers  # type: ignore[method-assign]
    api.state.trust_proxy_headers = trust_proxy_headers
