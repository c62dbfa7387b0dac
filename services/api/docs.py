"""The interactive API documentation at /docs, served entirely by this server: the Swagger
UI's script and style come from the swagger-ui-bundle-v2 package, so the page works on a
machine with no internet (an NPM's office network, an air-gapped laptop)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

ASSETS = "/docs/assets"


def mount_docs(api: FastAPI, openapi_url: str) -> None:
    """Serve /docs with the packaged Swagger UI (FastAPI's own /docs loads it from a CDN,
    so build the API with docs_url=None)."""
    api.mount(ASSETS, StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="rectrack: API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
