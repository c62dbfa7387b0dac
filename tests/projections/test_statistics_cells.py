"""The projector keeps the statistics cells current: it builds them once the views have
caught up, builds them again after a write moves the views on, and meanwhile a question
is answered from the views, so no answer lags a write. A build runs beside the
projector's loop, whose health beats go on while it takes. The projector runs here as
`rectrack projector` runs it (run_as_leader: the lease, the health beat, its loop)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.sql import SQL, Identifier

from projections.engine.catchup import log_position, view_positions, wait_until_caught_up
from projections.engine.leader import lease_name, run_as_leader
from projections.engine.runner import Projector
from projections.views.statistics import Filters, statistics
from projections.views.statistics_cells import CUBES, SOURCES, CellsState, state
from projections.views.statistics_cells import usable as cells_usable
from services.adapters.health import Health
from services.adapters.lease import Lease
from services.adapters.settings import Settings
from tests.builders import Commander, authority, issued_recommendation
from tests.projections.scenario import wait_for

VIEWS = list(SOURCES)
#: A loop silent this long is not live (the default is a minute).
STALL_SECONDS = 1.0


@pytest.fixture
def health() -> Health:
    return Health("projector", stall_seconds=STALL_SECONDS)


@pytest.fixture
def leading(settings: Settings, database_url: str, health: Health) -> Iterator[threading.Thread]:
    """The projector's leader loop on a thread, rebuilding the cells at most every 0.2 s
    (the default is a minute) and checking every 0.1 s."""
    fast = settings.model_copy(update={"stats_refresh_seconds": 0.2})
    projector = Projector(fast, database_url, VIEWS)
    lease = Lease(database_url, lease_name(fast.database_schema, VIEWS))
    stop = threading.Event()
    thread = threading.Thread(
        target=run_as_leader,
        args=(projector, lease, stop, health),
        kwargs={"check_every": 0.1},
        daemon=True,
    )
    thread.start()
    yield thread
    stop.set()
    thread.join(timeout=30)


def cells_for_the_views(leading: threading.Thread, database_url: str, schema: str) -> CellsState:
    """Waits for the two source views to reach the end of the log, then for the cells
    built at exactly those positions; fails at once if the projector's loop ended."""
    with psycopg.connect(database_url) as conn:
        last = log_position(conn, schema)
    wait_until_caught_up(database_url, schema, last, timeout=60, names=VIEWS)

    def built() -> bool:
        assert leading.is_alive(), "the projector's loop ended"
        with psycopg.connect(database_url) as conn:
            return cells_usable(conn, schema, None)

    try:
        wait_for(built, timeout=60, what="the cells at the views' positions", interval=0.1)
    except TimeoutError as error:
        with psycopg.connect(database_url) as conn:
            found = state(conn, schema)
            views = view_positions(conn, schema, VIEWS)
        raise TimeoutError(f"{error}: cells {found}, views {views}") from error
    with psycopg.connect(database_url) as conn:
        found = state(conn, schema)
    assert found is not None
    return found


def issued_per_cells(database_url: str, schema: str) -> int:
    with psycopg.connect(database_url) as conn:
        assert cells_usable(conn, schema, None)
        return int(statistics(conn, schema, Filters())["totals"]["issued"])


def test_the_projector_builds_the_cells_again_when_the_views_move_on(
    leading: threading.Thread, run: Commander, database_url: str, schema: str
) -> None:
    ministry = authority(run)
    issued_recommendation(run, ministry)
    first = cells_for_the_views(leading, database_url, schema)
    assert issued_per_cells(database_url, schema) == 1

    issued_recommendation(run, ministry)
    second = cells_for_the_views(leading, database_url, schema)
    assert issued_per_cells(database_url, schema) == 2
    assert second.positions > first.positions
    assert second.built_at > first.built_at


def builds_waiting(database_url: str, table: str) -> int:
    """Sessions waiting for a lock on `table` (a build swapping its cells in)."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE NOT l.granted AND c.relname = %s",
            (table,),
        ).fetchone()
    return int(row[0]) if row else 0


def test_the_projector_stays_live_while_a_build_is_held_up(
    leading: threading.Thread, health: Health, run: Commander, database_url: str, schema: str
) -> None:
    """A build that cannot finish (its swap waits for a long read of the cells, as a
    report's may be) does not stop the loop: the health beats go on for several times
    the stall limit, and no second build starts beside it."""
    ministry = authority(run)
    issued_recommendation(run, ministry)
    first = cells_for_the_views(leading, database_url, schema)
    table = CUBES[0].cells
    with psycopg.connect(database_url) as reader:
        reader.execute(
            SQL("SELECT 1 FROM {0}.{1} LIMIT 0").format(Identifier(schema), Identifier(table))
        )
        issued_recommendation(run, ministry)
        wait_for(
            lambda: builds_waiting(database_url, table) > 0,
            timeout=60,
            what="a build waiting for the reader",
            interval=0.05,
        )
        held_until = time.monotonic() + 3 * STALL_SECONDS
        while time.monotonic() < held_until:
            assert health.live(), "the loop stopped beating while the build waited"
            builds = [t for t in threading.enumerate() if t.name.startswith("statistics-cells")]
            assert len(builds) <= 1, builds  # one build at a time
            threading.Event().wait(0.1)
        assert builds_waiting(database_url, table) == 1
        reader.rollback()
    second = cells_for_the_views(leading, database_url, schema)
    assert second.positions > first.positions
    assert issued_per_cells(database_url, schema) == 2
