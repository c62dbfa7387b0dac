from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from tests.builders import Commander
from tests.projections.scenario import Scenario, build


@pytest.fixture
def projector(settings: Settings, database_url: str) -> Iterator[Projector]:
    running = Projector(settings, database_url)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def scenario(run: Commander, projector: Projector, database_url: str, schema: str) -> Scenario:
    """The scenario, written through the executor and projected live (read-your-writes)."""
    built = build(run)
    wait_until_caught_up(database_url, schema, built.last_notification, timeout=30)
    return built


@pytest.fixture(autouse=True)
def _logging_follows_capture() -> Iterator[None]:
    """`rectrack` commands configure structlog to print to the stderr of the moment,
    which pytest's capture closes after the test; forget it so later logs still work."""
    yield
    structlog.reset_defaults()
