"""Export, then import into an empty store, gives the same records: `rectrack export`
writes CSV and XLSX from one store, `rectrack import` reads each into a fresh schema
(with the same authorities and place registered), and the status views, the statistics
and each recommendation's fields agree, every reply included (records with several
replies, a reply with no position, closures, several recommending bodies, SDGs, a
historic record).

What the import's columns cannot carry differs on purpose and is named here: ids and
references (the import gives new ones and keeps the source's identity as `external_id`),
who and when each event was recorded, and a draft's drafting date."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from openpyxl import load_workbook
from psycopg.rows import dict_row

from domain.origin import Source
from domain.recommendation import Recommendation
from domain.values import Position, RecommendationKind
from projections.views.statistics import Filters, statistics
from services.adapters.database import ensure_schema, eventsourcing_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import (
    CloseRecommendation,
    DraftRecommendation,
    RecordResponse,
)
from services.application.commands.registry import RegisterPlace
from services.application.executor import Executor
from services.application.store import Rectrack
from services.cli import main
from services.spreadsheet_columns import COLUMN_NAMES as COLUMNS
from tests.builders import Commander, authority
from tests.export_world import World, build_world

# What the round trip does not keep (see the module's docstring).
NOT_CARRIED = {
    "recommendation_id",
    "authority_id",
    "place_id",
    "reference",
    "external_id",
    "last_action",
    "last_action_on",
    "last_actor",
    "version",
}
DRAFT_DATES = {"drafted_on", "made_on", "year", "last_action_on"}


@pytest.fixture
def target(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    """An empty store in a schema of its own."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    ensure_schema(database_url, name)
    yield Settings(
        database_url=database_url,
        database_schema=name,
        data_dir=tmp_path / "target",
        _env_file=None,  # type: ignore[call-arg]
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _use(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """Point the CLI at this store."""
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("RECTRACK_DATA_DIR", str(settings.data_dir))


def _status_rows(database_url: str, schema: str) -> dict[str, dict[str, Any]]:
    """The status view's rows by the identity the export gives them (external id, else
    the reference), with the authority's and place's names."""
    with psycopg.connect(database_url, row_factory=dict_row) as conn:
        rows = conn.execute(
            f'SELECT r.*, a.name AS authority_name, p.name AS place_name FROM "{schema}".'
            f'status_recommendations r LEFT JOIN "{schema}".status_authorities a USING '
            f'(authority_id) LEFT JOIN "{schema}".status_places p USING (place_id)'
        ).fetchall()
    return {str(r["external_id"] or r["reference"]): dict(r) for r in rows}


def _more_records(run: Commander, world: World) -> None:
    """Records the export world lacks: a UPR recommendation from several states with SDGs,
    a reply with no position then one with, closed; a historic record, closed too."""
    upr = run(
        DraftRecommendation(
            kind=RecommendationKind.THEMATIC,
            text="Ratify the Optional Protocol's annex",
            authority_id=world.justice,
            issued_on=date(2023, 11, 10),
            external_id="UPR-44-112.7",
            source=Source.UPR,
            recommending_bodies=["Chile", "Côte d'Ivoire", "Norway"],
            session="44",
            cycle="4th",
            sdgs=["16", "16.3"],
        ),
        on=date(2023, 11, 10),
    ).aggregate_id
    for day, position, text in (
        (date(2023, 12, 1), None, "Under consideration."),
        (date(2024, 2, 1), Position.NOTED, "Noted; the annex is studied."),
        (date(2024, 6, 3), Position.ACCEPTED, "Accepted, bill tabled."),
    ):
        run(RecordResponse(received_on=day, position=position, text=text), upr, on=day)
    run(CloseRecommendation(reason="superseded by the 5th cycle"), upr, on=date(2024, 9, 1))
    historic = run(
        DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="Light the exercise yard",
            authority_id=world.justice,
            place_id=world.prison,
            issued_on=date(2022, 5, 2),
            historic_before=date(2022, 5, 2),
        ),
        on=date(2022, 5, 2),
    ).aggregate_id
    run(
        RecordResponse(received_on=date(2022, 6, 1), text="We will look into it."),
        historic,
        on=date(2022, 6, 1),
    )
    run(CloseRecommendation(reason="the yard was rebuilt"), historic, on=date(2022, 12, 1))


#: what the import cannot carry in an aggregate (see the module's docstring), or gives
#: its own (ids, the historic mark of the import day)
AGGREGATE_NOT_CARRIED = {
    "_id",
    "_version",
    "_created_on",
    "_modified_on",
    "_pending_events",
    "reference",
    "external_id",
    "authority_id",
    "place_id",
    "drafted_by",
    "historic_before",
}


def _aggregates(store: Rectrack, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each recommendation's aggregate state, by the identity the export gives it."""
    return {
        identity: dict(vars(store.get(Recommendation, row["recommendation_id"])))
        for identity, row in rows.items()
    }


def _figures(database_url: str, schema: str) -> dict[str, Any]:
    with psycopg.connect(database_url) as conn:
        return statistics(conn, schema, Filters(), by="authority")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_into_an_empty_store_gives_the_same_records(
    fmt: str,
    run: Commander,
    settings: Settings,
    target: Settings,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _more_records(run, build_world(run))
    _use(monkeypatch, settings)
    assert main(["projections", "rebuild"]) == 0
    exported = tmp_path / f"out.{fmt}"
    capsys.readouterr()
    assert main(["export", "--format", fmt, "-o", str(exported)]) == 0
    said = capsys.readouterr()
    # one row per reply: 7 recommendations, 2 + 3 of them with more than one reply
    assert f"wrote {exported}: 10 row(s) as {fmt}" in said.out
    assert "exporting" in said.err and "10/10 rows" in said.err  # the progress bar

    # The empty store knows the same authorities and place by name, nothing else.
    store = Rectrack(env=eventsourcing_env(target, database_url))
    try:
        there = Commander(Executor(store))
        justice = authority(there, name="Ministry of Justice")
        authority(there, name="Ministère de la Santé")
        there(RegisterPlace(name="Nordhafen Prison", place_type="prison", authority_id=justice))
    finally:
        store.close()
    _use(monkeypatch, target)
    assert main(["projections", "rebuild"]) == 0
    assert main(["import", str(exported)]) == 0, capsys.readouterr().err
    assert "imported 7 recommendation(s)" in capsys.readouterr().out
    assert main(["projections", "rebuild"]) == 0

    before = _status_rows(database_url, settings.database_schema)
    after = _status_rows(database_url, target.database_schema)
    assert sorted(before) == sorted(after)
    assert "SPT-2024-17" in after  # an external id is kept as it was
    for identity, row in before.items():
        again = after[identity]
        skip = NOT_CARRIED | (DRAFT_DATES if row["status"] == "draft" else set())
        # An import marks its records historic as of the import day: a date of theirs
        # already past (this 2024 data's) starts no reminder or escalation in the new
        # store; the record says so instead of showing the date as due.
        assert again["historic_before"] is not None
        skip |= {"historic_before"}
        if again["next_action"] == "historic record":
            assert row["due_on"] is None or row["due_on"] < again["historic_before"]
            skip |= {"next_action", "due_on"}
        differing = {
            key: (value, again[key])
            for key, value in row.items()
            if key not in skip and again[key] != value
        }
        assert not differing, (identity, differing)
    # Every field of each aggregate agrees, every reply included.
    assert after["UPR-44-112.7"]["status"] == "closed"
    assert after["UPR-44-112.7"]["responses"] == 3
    stores = [Rectrack(env=eventsourcing_env(s, database_url)) for s in (settings, target)]
    try:
        states_before = _aggregates(stores[0], before)
        states_after = _aggregates(stores[1], after)
    finally:
        for store in stores:
            store.close()
    assert [r["position"] for r in states_after["UPR-44-112.7"]["responses"]] == [
        None,
        "noted",
        "accepted",
    ]
    for identity, state in states_before.items():
        again = states_after[identity]
        skip = AGGREGATE_NOT_CARRIED | ({"drafted_on"} if state["status"] == "draft" else set())
        differing = {
            key: (value, again[key])
            for key, value in state.items()
            if key not in skip and again[key] != value
        }
        assert not differing, (identity, differing)
        assert again["external_id"] == (state["external_id"] or state["reference"])
    # Each figure of the statistics, per authority (matched by name), agrees too.
    figures_before = _figures(database_url, settings.database_schema)
    figures_after = _figures(database_url, target.database_schema)
    assert figures_before["totals"] == figures_after["totals"]
    by_name = {g["name"]: {**g, "group": None} for g in figures_after["groups"]}
    assert {g["name"]: {**g, "group": None} for g in figures_before["groups"]} == by_name

    # And the file exported from the new store holds the same cells.
    again_file = tmp_path / f"again.{fmt}"
    assert main(["export", "-o", str(again_file)]) == 0
    assert _cells(exported) == _cells(again_file)


def _cells(path: Path) -> list[dict[str, Any]]:
    """The file's rows as dicts in a stable order (the identity column included: the new
    store keeps the first store's identity as the external id)."""
    if path.suffix == ".csv":
        rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig"), newline="")))
    else:
        table = list(load_workbook(path).worksheets[0].iter_rows(values_only=True))
        assert list(table[0]) == list(COLUMNS)
        rows = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    return sorted(rows, key=lambda r: str(r["text"]))


def test_the_export_command_takes_the_lists_filters_and_names_what_it_refuses(
    run: Commander,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    build_world(run)
    _use(monkeypatch, settings)
    assert main(["projections", "rebuild"]) == 0
    out = tmp_path / "justice.csv"
    # an authority by its name (any case); the format from the file's extension
    assert (
        main(["export", "--authority", "ministry of justice", "--year", "2024", "-o", str(out)])
        == 0
    )
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"), newline="")))
    # one row per reply, the record's rows joined by its external id
    assert [r["external_id"] for r in rows] == ["SPT-2024-17", "SPT-2024-17"]
    assert [r["response_position"] for r in rows] == ["rejected", "accepted"]
    capsys.readouterr()
    assert main(["export", "--authority", "Ministry of Magic", "-o", str(out)]) == 2
    assert "--authority: no authority registered as 'Ministry of Magic'" in capsys.readouterr().err
    assert main(["export", "-o", str(tmp_path / "list.pdf")]) == 2
    assert "--format must be csv or xlsx" in capsys.readouterr().err
    assert not (tmp_path / "list.pdf").exists()
    book = tmp_path / "thematic.xlsx"
    assert main(["export", "--kind", "thematic", "-o", str(book)]) == 0
    table = list(load_workbook(book).worksheets[0].iter_rows(values_only=True))
    assert [row[COLUMNS.index("text")] for row in table[1:]] == ["Train staff in de-escalation"]
