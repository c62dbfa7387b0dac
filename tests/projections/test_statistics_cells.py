"""The projector keeps the statistics cells current: it builds them once the views have
caught up, builds them again after a write moves the views on, and meanwhile a question
is answered from the views, so no answer lags a write."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest

from projections.engine.runner import Projector
from projections.views.statistics import Filters, statistics
from projections.views.statistics_cells import state
from projections.views.statistics_cells import usable as cells_usable
from services.adapters.settings import Settings
from tests.builders import Commander, authority, issued_recommendation
from tests.projections.scenario import wait_for


@pytest.fixture
def projector(settings: Settings, database_url: str) -> Iterator[Projector]:
    fast = settings.model_copy(update={"stats_refresh_seconds": 0.2})
    running = Projector(fast, database_url, ["status", "statistics"])
    stop = threading.Event()
    thread = threading.Thread(target=running.run_until, args=(stop, 0.1), daemon=True)
    thread.start()
    yield running
    stop.set()
    thread.join(timeout=30)


def test_the_projector_builds_the_cells_again_when_the_views_move_on(
    projector: Projector, run: Commander, database_url: str, schema: str
) -> None:
    ministry = authority(run)
    issued_recommendation(run, ministry)

    def issued_from_current_cells(n: int) -> bool:
        with psycopg.connect(database_url) as conn:
            if not cells_usable(conn, schema, None):
                return False
            return statistics(conn, schema, Filters())["totals"]["issued"] == n

    wait_for(lambda: issued_from_current_cells(1), timeout=60, what="cells with 1 issued")
    with psycopg.connect(database_url) as conn:
        first = state(conn, schema)
    assert first is not None

    issued_recommendation(run, ministry)
    wait_for(lambda: issued_from_current_cells(2), timeout=60, what="cells with 2 issued")
    with psycopg.connect(database_url) as conn:
        second = state(conn, schema)
    assert second is not None and second.positions > first.positions
    assert second.built_at > first.built_at
