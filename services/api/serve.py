"""The entry point uvicorn imports in each worker process (`rectrack api`): every worker
builds its own runtime from the environment, because connection pools cannot cross a
fork."""

from __future__ import annotations

from fastapi import FastAPI

from services.adapters.log_config import configure_logging
from services.adapters.settings import Settings
from services.adapters.tracing import configure_tracing
from services.api.app import create_app
from services.application.runtime import build_runtime


def app_from_environment() -> FastAPI:
    settings = Settings()
    configure_logging(settings)
    configure_tracing(settings, "api")
    return create_app(build_runtime(settings))
