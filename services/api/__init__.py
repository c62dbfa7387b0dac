"""The HTTP API: JSON under /api/v1, OpenAPI at /api/v1/openapi.json, docs at /docs.

`create_app(runtime)` builds it around an already-built runtime, so that tests, the
`rectrack api` process and the benchmark all serve exactly the same application."""

from __future__ import annotations

from services.api.app import create_app

__all__ = ["create_app"]
