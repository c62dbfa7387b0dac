"""Importing other mechanisms' recommendations (real PostgreSQL, `rectrack import`): the
source, several recommending bodies, session and cycle, SDGs; one row per reply joined
by external id (replies with and without a position); closure with its date; every
record historic as of the import day. A bad value names the row, the column and the rule,
and a file with one bad row imports no row."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from domain.recommendation import Recommendation
from domain.values import Position, Status
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.api.views import recommendation_out
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander, register_authority_command

HEADER = (
    "external_id,text,authority,issued_on,source,recommending_bodies,session,cycle,sdgs,"
    "response_received_on,response_position,response_text,agreed_implementation_date,"
    "closed_on,closure_reason"
)
ROWS = [
    'UPR-1,Abolish the death penalty,Ministry of Justice,2019-05-01,UPR,"France; Chile; '
    'Costa Rica",33rd session,3rd,16; 16.3,2019-09-01,,Under consideration,,,',
    "UPR-1,,,,,,,,,2020-03-01,partially_accepted,Accepted in part,,,",
    "UPR-1,Abolish the death penalty,Ministry of Justice,,,,,,,2021-02-01,,Progress report,,,",
    "UPR-2,Ratify the Optional Protocol,Ministry of Justice,2019-05-01,upr,Denmark,33rd "
    "session,3rd,16.a,,,,,,",
    "SR-7,Fit speed limiters to every bus,Ministry of Justice,2018-01-10,accident "
    "investigation,Transport Safety Board,,,3.6,2018-04-01,accepted,Done,2018-12-01,"
    "2019-01-01,Implemented and checked",
]


@pytest.fixture
def world(
    app: Rectrack, run: Commander, settings: Settings, database_url: str
) -> Iterator[Rectrack]:
    """The authority, visible in the status view (the import finds it by name there),
    and the CLI pointed at this test's schema."""
    result = run(register_authority_command())
    assert result.notification_id is not None
    projector = Projector(settings, database_url, names=["status"])
    projector.start()
    try:
        schema = settings.database_schema
        wait_until_caught_up(
            database_url, schema, result.notification_id, timeout=30, names=["status"]
        )
    finally:
        projector.stop()
    yield app


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("RECTRACK_DATA_DIR", str(settings.data_dir))


def write_csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "recommendations.csv"
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode("utf-8"))
    return path


def by_external_id(app: Rectrack) -> dict[str, Recommendation]:
    found: dict[str, Recommendation] = {}
    for notification in app.recorder.select_notifications(0, 1000):
        if notification.topic.endswith("Recommendation.Drafted"):
            rec = app.get(Recommendation, UUID(str(notification.originator_id)))
            found[str(rec.external_id)] = rec
    return found


def test_other_mechanisms_several_bodies_and_several_replies(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(write_csv(tmp_path, ROWS))]) == 0
    assert "imported 3 recommendation(s)" in capsys.readouterr().out
    recs = by_external_id(world)
    assert set(recs) == {"UPR-1", "UPR-2", "SR-7"}

    upr = recs["UPR-1"]
    assert upr.origin == {
        "source": "upr",
        "recommending_bodies": ["France", "Chile", "Costa Rica"],
        "session": "33rd session",
        "cycle": "3rd",
        "sdgs": ["16", "16.3"],
    }
    # three rows, three replies in order; the latest position stated counts
    assert [(r["received_on"], r["position"]) for r in upr.responses] == [
        (date(2019, 9, 1), None),
        (date(2020, 3, 1), "partially_accepted"),
        (date(2021, 2, 1), None),
    ]
    assert upr.position is Position.PARTIALLY_ACCEPTED
    replies = [
        e.meta.business_date  # type: ignore[attr-defined]
        for e in world.events.get(upr.id)
        if type(e).__qualname__.endswith("ResponseReceived")
    ]
    assert replies == [date(2019, 9, 1), date(2020, 3, 1), date(2021, 2, 1)]

    # imported today, its reply due in 2019 and none recorded: historic, not overdue
    today = date.today()
    unanswered = recommendation_out(recs["UPR-2"], today)
    assert unanswered.historic and not unanswered.overdue
    assert unanswered.historic_before == today and unanswered.status == "issued"
    assert unanswered.sdgs == ["16.a"] and unanswered.recommending_bodies == ["Denmark"]

    closed = recs["SR-7"]
    assert closed.status is Status.CLOSED
    assert closed.origin["source"] == "accident_investigation"
    ending = list(world.events.get(closed.id))[-1]
    assert type(ending).__qualname__.endswith("Closed")
    assert ending.meta.business_date == date(2019, 1, 1)  # type: ignore[attr-defined]
    assert ending.meta.reason == "Implemented and checked"  # type: ignore[attr-defined]

    # the same file again appends nothing
    assert main(["import", str(write_csv(tmp_path, ROWS))]) == 0
    assert len(by_external_id(world)) == 3
    assert len(list(world.events.get(upr.id))) == 5


def test_bad_values_name_row_column_and_rule_and_import_nothing(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        ROWS[0],
        "UPR-1,Abolish torture,,,,,,,,2020-03-01,accepted,Yes,,,",  # another text
        "UPR-3,Close the old wing,Ministry of Justice,2019-05-01,UN,,,,16.3,,,,,,",
        "UPR-4,Open the yard,Ministry of Justice,,,,,,,,,,,2020-01-01,",  # never issued
        ROWS[4],
        "UPR-5,Improve the food,Ministry of Justice,2019-05-01,UPR,,,,16.11,,,,,,",
    ]
    assert main(["import", str(write_csv(tmp_path, rows))]) != 0
    out = capsys.readouterr()
    said = out.out + out.err
    assert "row 3, column text: differs from row 2, the first row of external id 'UPR-1'" in said
    assert "row 4, column source" in said and "accident_investigation" in said
    assert "row 7, column sdgs" in said and "16.1 to 16.10 and 16.a to 16.b" in said
    assert "row 5, column issued_on: is required when the row records a closure" in said
    assert by_external_id(world) == {}
