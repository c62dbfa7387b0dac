"""A database whose view tables are not in the code's shape (built by an older release)
is rebuilt when the projector starts, before its views run live; views whose shape is
unchanged are left as they are (projections/engine/shapes.py)."""

from __future__ import annotations

import dataclasses

import psycopg
import pytest
from structlog.testing import capture_logs

from projections.engine import shapes
from projections.engine.catchup import wait_until_caught_up
from projections.engine.registry import RETIRED_TABLES, VIEWS, select
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.application.commands.recommendations import CloseRecommendation
from services.cli import main
from tests.builders import Commander
from tests.projections.scenario import Scenario


def _tables(conn: psycopg.Connection[object], schema: str) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema]
    ).fetchall()
    return {str(row[0]) for row in rows}


def _columns(conn: psycopg.Connection[object], schema: str, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = %s AND table_name = %s",
        [schema, table],
    ).fetchall()
    return {str(row[0]) for row in rows}


def test_an_old_status_table_is_rebuilt_at_start_and_then_runs_live(
    scenario: Scenario,
    projector: Projector,
    run: Commander,
    settings: Settings,
    database_url: str,
    schema: str,
) -> None:
    projector.stop()
    # The database as the release before closure_reason left it: the status table
    # without the column, no shape recorded for it, the audit view's tables still there;
    # and a row of an unchanged view altered by hand, which a rebuild would put back.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'ALTER TABLE "{schema}".status_recommendations DROP COLUMN closure_reason')
        if shapes.SHAPES_TABLE in _tables(conn, schema):
            conn.execute(f"DELETE FROM \"{schema}\".view_shapes WHERE view = 'status'")
        for retired in RETIRED_TABLES:
            conn.execute(f'CREATE TABLE "{schema}".{retired} (x int)')
        marked = conn.execute(
            f'UPDATE "{schema}".places_places SET name = %s RETURNING place_id', ["hand-set"]
        ).fetchall()
        assert marked
    restarted = Projector(settings, database_url)
    beats: list[None] = []
    restarted.heartbeat = lambda: beats.append(None)  # the leader's health stays live
    with capture_logs() as logs:
        restarted.start()
    try:
        why = [e for e in logs if e.get("view") == "status" and "reason" in e]
        assert why and "no recorded shape" in why[0]["reason"]
        rebuilt = [e for e in logs if e["event"] == "views rebuilt"]
        assert [e["views"] for e in rebuilt] == [["status"]]
        assert any(e["event"] == "rebuilding views" for e in logs) and beats
        with psycopg.connect(database_url) as conn:
            assert "closure_reason" in _columns(conn, schema, "status_recommendations")
            assert not _tables(conn, schema) & set(RETIRED_TABLES)
            names = conn.execute(f'SELECT DISTINCT name FROM "{schema}".places_places').fetchall()
            assert names == [("hand-set",)]  # the places view was not rebuilt
        closed = run(CloseRecommendation(reason="superseded"), scenario.answered)
        wait_until_caught_up(database_url, schema, closed.notification_id, timeout=15)
        with psycopg.connect(database_url) as conn:
            row = conn.execute(
                f'SELECT status, closure_reason FROM "{schema}".status_recommendations '
                "WHERE recommendation_id = %s",
                [scenario.answered],
            ).fetchone()
        assert row == ("closed", "superseded")
    finally:
        restarted.stop()


def test_fresh_views_record_their_shape_and_a_changed_one_is_named(
    projector: Projector,
    settings: Settings,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with psycopg.connect(database_url) as conn:
        recorded = shapes.recorded(conn, schema)
    assert recorded == {name: shapes.shape_digest(spec.view) for name, spec in VIEWS.items()}
    projector.stop()
    assert projector.reshape() == []  # nothing changed: nothing rebuilt
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"UPDATE \"{schema}\".view_shapes SET digest = 'older' WHERE view = 'inbox'")
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["projections", "status"]) == 0
    shown = capsys.readouterr().out
    assert "need a rebuild" in shown and "inbox: the code's table definitions differ" in shown
    assert projector.reshape() == ["inbox"]
    with psycopg.connect(database_url) as conn:
        assert shapes.changed(conn, schema, [s.view for s in select(None)]) == {}


def test_the_digest_follows_columns_types_keys_and_indexes() -> None:
    view = VIEWS["status"].view
    table = view.tables[0]
    digest = shapes.shape_digest(view)

    def with_table(changed: object) -> str:
        other = type(view)()
        object.__setattr__(other, "tables", (changed, *view.tables[1:]))
        return shapes.shape_digest(other)

    assert with_table(table) == digest
    assert with_table(dataclasses.replace(table, small=not table.small)) == digest
    columns = dict(table.columns)
    first = next(iter(columns))
    assert with_table(dataclasses.replace(table, columns={**columns, "extra": "text"})) != digest
    assert with_table(dataclasses.replace(table, columns={**columns, first: "bytea"})) != digest
    assert with_table(dataclasses.replace(table, key=(*table.key, "extra"))) != digest
    assert with_table(dataclasses.replace(table, indexes=(*table.indexes, "(x)"))) != digest
