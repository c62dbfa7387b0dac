"""Serves the web UI's static files under /ui, and sends a visitor of / there."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.web.i18n import mount_i18n

STATIC = Path(__file__).parent / "static"

# The pages load only their own script and style, and talk only to this server: a
# recommendation's text that smuggled in markup could neither run nor send anything.
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        b"img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class _WithSecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def mount_web_ui(api: FastAPI) -> None:
    api.mount("/ui", _WithSecurityHeaders(StaticFiles(directory=STATIC, html=True)), name="web-ui")

    @api.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/ui/", status_code=307)

    # The public register's page (its data: /public/v1/register, services/api/routers).
    @api.get("/register", include_in_schema=False)
    def register() -> RedirectResponse:
        return RedirectResponse("/ui/register.html", status_code=307)

    mount_i18n(api)
