"""One definition per figure: the authorities' scorecard (counters kept per authority and
year) gives the same issued, replied on time, median days to reply and acceptance rate
as /stats/figures (one query over the status view) for every authority and year, kept
live by the projector and after a rebuild from the first event. The store holds the
cases where the two used to differ: a reply to a recommendation with no due date (in a
report not yet sent: on time), replies that only take note, partial acceptances."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest

from domain.values import Position
from projections.engine.catchup import log_position, wait_until_caught_up
from projections.engine.runner import Projector
from projections.views.scorecard import authority_scorecard
from projections.views.statistics import Filters, figures
from services.adapters.settings import Settings
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander, import_meta, unsaved_recommendation
from tests.projections.test_statistics import statistics_store

SHARED = {
    # scorecard key: the statistics' figure it must equal
    "issued": "issued",
    "replied_on_time": "replied_on_time",
    "median_days_to_reply": "median_reply_days",
    "acceptance_rate": "acceptance_rate",
}


def _compare(database_url: str, schema: str) -> int:
    """Asserts every shared figure agrees, per authority and year; how many rows."""
    with psycopg.connect(database_url) as conn:
        cards = authority_scorecard(conn, schema)
        for card in cards:
            year, authority_id = card["year"], card["authority_id"]
            stats = figures(
                conn,
                schema,
                Filters(year_from=year, year_to=year, authority_id=authority_id),
            )[0]
            mine = {k: card[k] for k in SHARED}
            theirs = {k: stats[v] for k, v in SHARED.items()}
            assert mine == theirs, (card["authority_name"], year)
            # replied (on time or late) is the statistics' two figures together
            assert card["replied"] == stats["replied_on_time"] + stats["replied_late"]
    return len(cards)


def test_the_scorecard_uses_the_statistics_definitions(
    app: Rectrack,
    run: Commander,
    settings: Settings,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built = statistics_store(app, run)
    # Issued under a report not yet sent (no due date), then answered: on time.
    issued_on = date(2024, 2, 1)
    undated = unsaved_recommendation(built["ministry"], issued_on)
    undated.issue(import_meta(issued_on), issued_on, None)
    replied = issued_on + timedelta(days=40)
    undated.record_response(import_meta(replied), replied, Position.ACCEPTED, "Yes", None)
    app.save_batch([undated], command_id=str(uuid.uuid4()))

    projector = Projector(settings, database_url)
    projector.start()
    try:
        with psycopg.connect(database_url) as conn:
            last = log_position(conn, schema)
        wait_until_caught_up(database_url, schema, last, timeout=180)
        live_rows = _compare(database_url, schema)
    finally:
        projector.stop()
    assert live_rows >= 10  # two authorities over several years

    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("RECTRACK_DATA_DIR", str(settings.data_dir))
    assert main(["projections", "rebuild"]) == 0
    assert _compare(database_url, schema) == live_rows
    with psycopg.connect(database_url) as conn:
        ministry_2024: dict[str, Any] = next(
            c
            for c in authority_scorecard(conn, schema, year=2024)
            if str(c["authority_id"]) == str(built["ministry"])
        )
    assert ministry_2024["replied_on_time"] >= 1
