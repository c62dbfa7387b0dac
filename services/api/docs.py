"""The interactive API documentation at /docs, served entirely by this server: the Swagger
UI's script and style come from the swagger-ui-bundle-v2 package, so the page works on a
machine with no internet (an NPM's office network, an air-gapped laptop).

The page is written here rather than by FastAPI's helper, whose start-up script is inline:
with the script in a file of its own (/docs/init.js), the page runs under a Content
Security Policy that allows no inline script at all."""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"

# Swagger UI sets inline styles and shows data: images; it runs no inline script.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>rectrack: API</title>
<link rel="stylesheet" href="{ASSETS}/swagger-ui.css">
<link rel="icon" href="{ASSETS}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""


def mount_docs(api: FastAPI, openapi_url: str) -> None:
    """Serve /docs with the packaged Swagger UI (FastAPI's own /docs loads it from a CDN,
    so build the API with docs_url=None)."""
    api.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")
    init = (
        "window.ui = SwaggerUIBundle({url: "
        + json.dumps(openapi_url)
        + ', dom_id: "#swagger-ui", layout: "BaseLayout", deepLinking: true, '
        "presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset]});\n"
    )

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_PAGE, headers={"Content-Security-Policy": DOCS_POLICY})

    @api.get("/docs/init.js", include_in_schema=False)
    def docs_init() -> Response:
        return Response(init, media_type="text/javascript")
