"""The entry point uvicorn imports in each worker process (`rectrack api`): every worker
builds its own runtime from the environment, because connection pools cannot cross a
fork."""

from __future__ import annotations

from fastapi import FastAPI

from services.api.app import create_app
from services.log_config import configure_logging
from services.runtime import build_runtime
from services.settings import Settings


def app_from_environment() -> FastAPI:
    settings = Settings()
    configure_logging(settings)
    return create_app(build_runtime(settings))
