"""After `rectrack import` returns, the views (lists, statistics) show the imported rows:
the import folds its events into the live views itself (projections/engine/incremental.py),
with no rebuild and no projector running, and a projector running beside it applies
nothing twice; the statistics cells are built from them too. Real PostgreSQL; every case
ends with a replay of the whole log into fresh views that must equal the live ones."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from domain.values import FollowUpKind, Position, RecommendationKind
from projections.engine.catchup import log_position, view_positions, wait_until_caught_up
from projections.engine.incremental import bring_current
from projections.engine.replay import replay_and_compare
from projections.engine.runner import Projector, projector_env
from projections.views import statistics_cells
from services.adapters.settings import Settings
from services.application.commands.recommendations import (
    DraftRecommendation,
    RecordFollowUp,
    RecordResponse,
)
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander
from tests.integration.test_spreadsheet_import import GOOD_ROWS, HEADER, write_csv


def _one(database_url: str, sql: str) -> Any:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql).fetchone()
        assert row is not None
        return row[0]


def _assert_views_match_the_log(settings: Settings, database_url: str) -> None:
    schema = settings.database_schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = log_position(conn, schema)
        assert set(view_positions(conn, schema).values()) == {head}
    report = replay_and_compare(projector_env(settings, database_url), database_url, schema)
    assert report.consistent, report.differences[:5]


def _rows(count: int) -> list[str]:
    """`count` rows of the world's authority, every third one answered."""
    rows = []
    for n in range(count):
        answered = n % 3 == 0
        response = "2024-04-10;accepted;We agree.;;;;;;" if answered else ";;;;;;;;"
        rows.append(
            f"visit;Recommendation number {n};Ministry of Justice;Nordhafen Prison;"
            f"2024-03-01;food;A. Novak;{response}"
        )
    return rows


def test_the_views_show_an_import_when_it_returns(
    world: Rectrack,
    run: Commander,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = settings.database_schema
    # Written before the import and projected by nobody: the import brings it in too.
    before = run(
        DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="Drafted before the import",
            authority_id=_one(
                database_url, f'SELECT authority_id FROM "{schema}".status_authorities'
            ),
        )
    ).aggregate_id
    path = write_csv(tmp_path, GOOD_ROWS)
    assert main(["import", "--delimiter", ";", str(path)]) == 0
    out = capsys.readouterr().out
    assert "imported 4 recommendation(s) as 10 event(s)" in out
    assert "The views (lists, statistics) are current" in out
    status = f'"{schema}".status_recommendations'
    assert _one(database_url, f"SELECT count(*) FROM {status}") == 5
    assert (
        _one(database_url, f"SELECT status FROM {status} WHERE recommendation_id = '{before}'")
        == "draft"
    )
    # The statistics: the scorecard counts the three issued imported rows, two answered.
    totals = f'"{schema}".scorecard_totals'
    assert _one(database_url, f"SELECT sum(issued) FROM {totals}") == 3
    assert _one(database_url, f"SELECT sum(replied) FROM {totals}") == 2
    # ... and so do the statistics cells (`/stats` reads them only when current).
    with psycopg.connect(database_url) as conn:
        assert statistics_cells.usable(conn, schema, max_age=None)
    _assert_views_match_the_log(settings, database_url)

    # Later events of recommendations the views already hold go through the views' own
    # handlers; a new draft after them is folded.
    imported = _one(
        database_url,
        f"SELECT recommendation_id FROM {status} WHERE text = 'Install call buttons in every cell'",
    )
    run(
        RecordResponse(received_on=date(2024, 5, 2), position=Position.ACCEPTED, text="Yes."),
        imported,
        on=date(2024, 5, 2),
    )
    run(
        RecordFollowUp(kind=FollowUpKind.VISIT, summary="Seen.", happened_on=date(2024, 6, 1)),
        imported,
        on=date(2024, 6, 1),
    )
    caught = bring_current(projector_env(settings, database_url), database_url, schema)
    assert caught.events == 2 and caught.folded == 0
    assert _one(database_url, f"SELECT sum(replied) FROM {totals}") == 3
    assert _one(database_url, f'SELECT sum(n) FROM "{schema}".statistics_actions') == 1
    _assert_views_match_the_log(settings, database_url)

    # A second import's counters are summed into the ones the views hold (same authority
    # and year: the scorecard's and trends' rows exist already).
    second = tmp_path / "second"
    second.mkdir()
    assert main(["import", "--delimiter", ";", str(write_csv(second, _rows(6)))]) == 0
    assert _one(database_url, f"SELECT sum(issued) FROM {totals}") == 9
    assert _one(database_url, f"SELECT sum(replied) FROM {totals}") == 5
    with psycopg.connect(database_url) as conn:
        assert statistics_cells.usable(conn, schema, max_age=None)
    _assert_views_match_the_log(settings, database_url)


def test_a_projector_running_beside_applies_nothing_twice(
    world: Rectrack,
    run: Commander,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = settings.database_schema
    projector = Projector(settings, database_url)
    projector.start()
    try:
        path = write_csv(tmp_path, _rows(1200), header=HEADER)
        # Small batches: many commits, each one a chance for the projector to take
        # events the import folds.
        assert main(["import", "--delimiter", ";", "--batch", "50", str(path)]) == 0
        assert "imported 1200 recommendation(s)" in capsys.readouterr().out
        with psycopg.connect(database_url, autocommit=True) as conn:
            head = log_position(conn, schema)
        # The projector goes on from where the import left the views.
        after = run(
            DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text="Drafted after the import",
                authority_id=_one(
                    database_url, f'SELECT authority_id FROM "{schema}".status_authorities'
                ),
            )
        )
        assert after.notification_id is not None and after.notification_id > head
        wait_until_caught_up(database_url, schema, after.notification_id, timeout=60)
    finally:
        projector.stop()
    status = f'"{schema}".status_recommendations'
    assert _one(database_url, f"SELECT count(*) FROM {status}") == 1201
    # every recommendation event applied once: a row's version is its events' count
    assert _one(database_url, f"SELECT sum(version) FROM {status}") == _one(
        database_url,
        f"SELECT count(*) FROM \"{schema}\".rectrack_events WHERE topic LIKE '%Recommendation%'",
    )
    totals = f'"{schema}".scorecard_totals'
    assert _one(database_url, f"SELECT sum(issued) FROM {totals}") == 1200
    assert _one(database_url, f"SELECT sum(replied) FROM {totals}") == 400
    _assert_views_match_the_log(settings, database_url)


def test_leave_views_stores_only(
    world: Rectrack,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    schema = settings.database_schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        before = view_positions(conn, schema)
    path = write_csv(tmp_path, GOOD_ROWS)
    assert main(["import", "--delimiter", ";", "--leave-views", str(path)]) == 0
    assert "`rectrack projections rebuild`" in capsys.readouterr().out
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert view_positions(conn, schema) == before
        assert log_position(conn, schema) > before["status"]
    assert _one(database_url, f'SELECT count(*) FROM "{schema}".status_recommendations') == 0
    # What was left is brought in by the next call, as by a projector.
    caught = bring_current(projector_env(settings, database_url), database_url, schema)
    assert caught.folded >= 10  # the 10 imported events, once per position the views were at
    assert _one(database_url, f'SELECT count(*) FROM "{schema}".status_recommendations') == 4
    _assert_views_match_the_log(settings, database_url)


def test_a_rejected_file_leaves_no_view_row(
    world: Rectrack,
    settings: Settings,
    database_url: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The views fold each batch while the rows are still being checked
    (projections/engine/early.py), in a transaction that only the stored rows commit: a
    bad last row, found after six batches were folded, leaves the views as they were,
    and not paused."""
    schema = settings.database_schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        before = view_positions(conn, schema)
        head = log_position(conn, schema)
    bad = "visit;The last row;Ministry of Justice;Nordhafen Prison;2024-13-01;food;A. Novak"
    path = write_csv(tmp_path, [*_rows(300), bad + ";" * 9], header=HEADER)
    assert main(["import", "--delimiter", ";", "--batch", "50", str(path)]) == 1
    err = capfd.readouterr().err
    assert "nothing was imported" in err
    assert "early fold is rolled back" in err
    for table in ("status_recommendations", "scorecard_totals", "statistics_actions"):
        assert _one(database_url, f'SELECT count(*) FROM "{schema}".{table}') == 0
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert log_position(conn, schema) == head
        assert view_positions(conn, schema) == before
    # Not paused: the next call takes the views' locks and finds nothing to do.
    caught = bring_current(projector_env(settings, database_url), database_url, schema)
    assert caught.folded == 0
