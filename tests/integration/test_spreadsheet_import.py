"""`rectrack import FILE.csv` against real PostgreSQL: a spreadsheet as NPMs keep them
(Excel's UTF-8 with a BOM, semicolons) becomes the events each row describes, with the
row's own dates as business dates; a file with any bad row imports no row and says, for
each problem, the row, the column and the rule; the same file twice appends nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest

from domain.recommendation import Recommendation
from domain.values import EventMeta, RecommendationKind
from services.application.commands.recommendations import DraftRecommendation
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander

HEADER = (
    "Kind;Text;Authority;Place;Issued on;Themes;Staff;Response received on;"
    "Response position;Response text;Agreed implementation date;Implementation;"
    "Non implementation reason;Verified;Verification method;Assessed on"
)
GOOD_ROWS = [
    "visit;Install call buttons in every cell;Ministry of Justice;Nordhafen Prison;"
    '2024-03-01;"safety; material conditions";A. Novak;;;;;;;;;',
    "visit;Keep a register of every use of restraint;ministry of justice;;2024-03-01;"
    'restraint;"A. Novak; B. Okafor";2024-04-10;accepted;We will introduce the register.;'
    "2024-09-30;;;;;",
    "thematic;Train staff in de-escalation;Ministry of Justice;;2023-06-15;training;;"
    "2023-07-20;partially_accepted;Budget allows one course a year.;2024-01-31;"
    "partially_implemented;budget;true;follow-up visit;2024-05-02",
    "visit;Draft only: improve the food;Ministry of Justice;;;food;;;;;;;;;;",
]


def write_csv(tmp_path: Path, rows: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "recommendations.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode("utf-8-sig"))
    return path


def imported(app: Rectrack) -> dict[str, list[tuple[str, date, EventMeta]]]:
    """Every recommendation's events by its text: (event, business date, meta)."""
    found: dict[str, list[tuple[str, date, EventMeta]]] = {}
    for notification in app.recorder.select_notifications(0, 1000):
        event = app.mapper.to_domain_event(notification)
        if not type(event).__qualname__.startswith("Recommendation."):
            continue
        rec = app.get(Recommendation, UUID(str(event.originator_id)))
        meta: EventMeta = event.meta  # type: ignore[attr-defined]
        name = type(event).__qualname__.split(".")[-1]
        found.setdefault(rec.text, []).append((name, meta.business_date, meta))
    return found


def test_a_spreadsheet_becomes_history_once(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, GOOD_ROWS)
    assert main(["import", "--delimiter", ";", str(path), "--dry-run"]) == 0
    assert "4 new recommendation(s) as 10 event(s)" in capsys.readouterr().out
    assert imported(world) == {}

    assert main(["import", "--delimiter", ";", str(path)]) == 0
    assert "imported 4 recommendation(s) as 10 event(s)" in capsys.readouterr().out
    events = imported(world)
    assert [(e, d) for e, d, _ in events["Install call buttons in every cell"]] == [
        ("Drafted", date(2024, 3, 1)),
        ("Issued", date(2024, 3, 1)),
    ]
    assert [(e, d) for e, d, _ in events["Keep a register of every use of restraint"]] == [
        ("Drafted", date(2024, 3, 1)),
        ("Issued", date(2024, 3, 1)),
        ("ResponseReceived", date(2024, 4, 10)),
    ]
    assert [(e, d) for e, d, _ in events["Train staff in de-escalation"]][-1] == (
        "ImplementationAssessed",
        date(2024, 5, 2),
    )
    assert [e for e, _, _ in events["Draft only: improve the food"]] == ["Drafted"]
    _, _, meta = events["Install call buttons in every cell"][0]
    assert meta.actor_id.startswith("import:")
    assert meta.reason == "imported from recommendations.csv, row 2"

    by_text = {}
    for text, recorded in events.items():
        first = recorded[0][2]
        assert first.command_id.startswith("import:")
        by_text[text] = first
    trained = next(
        world.get(Recommendation, UUID(str(n.originator_id)))
        for n in world.recorder.select_notifications(0, 1000)
        if n.topic.endswith("Recommendation.ImplementationAssessed")
    )
    assert trained.non_implementation_reason is not None
    assert trained.non_implementation_reason.value == "budget"
    assert trained.verified is True
    assert trained.tags["themes"] == ["training"]
    placed = [
        world.get(Recommendation, UUID(str(n.originator_id)))
        for n in world.recorder.select_notifications(0, 1000)
        if n.topic.endswith("Recommendation.Drafted")
    ]
    assert sum(1 for r in placed if r.place_id is not None) == 1
    assert next(r for r in placed if r.place_id).tags["themes"] == ["safety", "material conditions"]

    before = world.recorder.max_notification_id()
    assert main(["import", "--delimiter", ";", str(path)]) == 0
    assert "already imported; nothing appended" in capsys.readouterr().out
    assert world.recorder.max_notification_id() == before


def test_one_bad_row_imports_no_row_and_every_problem_is_named(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        "visit;Unknown authority;Ministry of Magic;;2024-03-01;;;;;;;;;;;",
        "visit;Bad date;Ministry of Justice;;2024-02-30;;;;;;;;;;;",
        "visit;Reply before issue;Ministry of Justice;;2024-03-01;;;2024-02-01;accepted;Yes.;;;;;;",
        "visit;Reply without position;Ministry of Justice;;2024-03-01;;;2024-04-01;;Yes.;;;;;;",
        "visit;Reason without status;Ministry of Justice;;2024-03-01;;;;;;;;budget;;;",
        "visit;Unknown place;Ministry of Justice;Atlantis Prison;2024-03-01;;;;;;;;;;;",
        "visit;Too many cells;Ministry of Justice;;2024-03-01;;;;;;;;;;;;extra",
    ]
    path = write_csv(tmp_path, [GOOD_ROWS[0], *bad])
    before = world.recorder.max_notification_id()
    assert main(["import", "--delimiter", ";", str(path)]) == 1
    err = capsys.readouterr().err
    assert "was not imported: 6 problem(s); nothing was imported" in err
    for expected in (
        "file: column authority names 1 authority not registered: 'Ministry of Magic' (row 3)",
        "row 4, column issued_on: '2024-02-30' is not a day of the calendar (YYYY-MM-DD)",
        "row 5, column response_received_on: must not precede the issue date 2024-03-01",
        "row 7, column implementation: is required when the row records an assessment",
        "row 8, column place: no place is registered under this name or id",
        "row 9, column row: has 17 cells, the header has 16 columns",
    ):
        assert expected in err, expected
    assert world.recorder.max_notification_id() == before


def test_a_bad_header_is_refused_before_any_row_is_read(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, ["Ministry of Justice;x"], header="authority;recommendation")
    before = world.recorder.max_notification_id()
    assert main(["import", "--delimiter", ";", str(path)]) == 1
    err = capsys.readouterr().err
    assert "header, column recommendation: is not a known column" in err
    assert "header, column text: is required and missing" in err
    assert world.recorder.max_notification_id() == before
    missing = tmp_path / "nowhere.csv"
    assert main(["import", str(missing)]) == 1
    assert "cannot read" in capsys.readouterr().err


def test_the_command_models_limits_are_named_by_row_and_column(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The import shares the API's command models: a cell the model refuses (a tag too
    long, too many problem natures) is a problem of that row and column, not a crash."""
    header = "Text;Authority;Issued on;Themes;Problem natures;Staff"
    natures = ";".join(["laws", "practices", "procedures", "attitudes", "laws", "practices"])
    rows = [
        f"Long theme;Ministry of Justice;2024-03-01;{'x' * 501};;",
        f'Many natures;Ministry of Justice;2024-03-01;;"{natures}";',
        f"Long staff name;Ministry of Justice;2024-03-01;;;{'y' * 501}",
    ]
    path = write_csv(tmp_path, rows, header=header)
    before = world.recorder.max_notification_id()
    assert main(["import", "--delimiter", ";", str(path)]) == 1
    err = capsys.readouterr().err
    assert "3 problem(s); nothing was imported" in err
    assert "row 2, column themes: String should have at most 500 characters" in err
    assert "row 3, column problem_natures: List should have at most 5 items" in err
    assert "row 4, column staff: String should have at most 500 characters" in err
    assert "Traceback" not in err
    assert world.recorder.max_notification_id() == before


def test_imported_rows_are_numbered_and_keep_their_own_ids(
    world: Rectrack, run: Commander, tmp_path: Path
) -> None:
    """Each imported recommendation gets a reference in the year of its row's date, from
    the same sequence as drafts (so a draft made afterwards takes the next number), and
    keeps the spreadsheet's own id as its external id."""
    header = "External id;Kind;Text;Authority;Issued on"
    rows = [
        "R-1;visit;Install call buttons;Ministry of Justice;2024-03-01",
        "R-2;visit;Keep a restraint register;Ministry of Justice;2024-03-02",
        ";visit;Train staff in de-escalation;Ministry of Justice;2023-06-15",
    ]
    assert main(["import", "--delimiter", ";", str(write_csv(tmp_path, rows, header))]) == 0
    drafted = [
        world.get(Recommendation, UUID(str(n.originator_id)))
        for n in world.recorder.select_notifications(0, 1000)
        if n.topic.endswith("Recommendation.Drafted")
    ]
    recs = {r.text: (r.reference, r.external_id) for r in drafted}
    assert recs == {
        "Install call buttons": ("NPM-2024-0001", "R-1"),
        "Keep a restraint register": ("NPM-2024-0002", "R-2"),
        "Train staff in de-escalation": ("NPM-2023-0001", None),
    }
    later = run(
        DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="Repaint the cells",
            authority_id=UUID(drafted[0].authority_id),
            issued_on=date(2024, 5, 1),
        ),
        on=date(2024, 5, 1),
    )
    assert world.get(Recommendation, later.aggregate_id).reference == "NPM-2024-0003"
