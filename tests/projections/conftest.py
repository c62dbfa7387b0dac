from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from projections.catchup import wait_until_caught_up
from projections.runner import Projector
from services.adapters.settings import Settings
from services.application.store import Rectrack
from tests.conftest import MetaFactory
from tests.projections.scenario import Scenario, build


@pytest.fixture
def projector(settings: Settings, database_url: str) -> Iterator[Projector]:
    running = Projector(settings, database_url)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def scenario(
    app: Rectrack, meta: MetaFactory, projector: Projector, database_url: str, schema: str
) -> Scenario:
    """The scenario, written through the domain and projected live (read-your-writes)."""
    built = build(app, meta)
    wait_until_caught_up(database_url, schema, built.last_notification, timeout=30)
    return built


@pytest.fixture(autouse=True)
def _logging_follows_capture() -> Iterator[None]:
    """`rectrack` commands configure structlog to print to the stderr of the moment,
    which pytest's capture closes after the test; forget it so later logs still work."""
    yield
    structlog.reset_defaults()
