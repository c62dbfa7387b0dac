"""Builds the running application from settings: resolves the database (URL or embedded),
creates the schema, and constructs the eventsourcing application on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from domain.application import Rectrack
from services.database import ensure_schema, eventsourcing_env, resolve_database_url
from services.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    app: Rectrack

    def close(self) -> None:
        self.app.close()


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings()
    url = resolve_database_url(settings)
    ensure_schema(url, settings.database_schema)
    app = Rectrack(env=eventsourcing_env(settings, url))
    return Runtime(settings=settings, database_url=url, app=app)
