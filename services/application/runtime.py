"""Builds the running application from settings: resolves the database (URL or embedded),
creates the schema, and constructs the record store and the executor over it."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.tokens import TokenDays
from services.adapters.database import ensure_schema, eventsourcing_env, resolve_database_url
from services.adapters.documents import DocumentStore
from services.adapters.letters import LetterPress
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack


@dataclass
class Runtime:
    settings: Settings
    database_url: str
    app: Rectrack
    executor: Executor = field(init=False)

    def __post_init__(self) -> None:
        self.executor = Executor(
            self.app,
            four_eyes=self.settings.four_eyes,
            reference_prefix=self.settings.reference_prefix,
            token_days=TokenDays(self.settings.token_default_days, self.settings.token_max_days),
            letters=LetterPress(
                DocumentStore(self.database_url, self.settings.database_schema),
                self.settings.letterhead,
            ),
        )

    def close(self) -> None:
        self.app.close()


def build_runtime(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings()
    url = resolve_database_url(settings)
    ensure_schema(url, settings.database_schema)
    app = Rectrack(env=eventsourcing_env(settings, url))
    return Runtime(settings=settings, database_url=url, app=app)
