"""Which records of a file are new, already imported or changed (real PostgreSQL): a row
is its `external_id`, or its text, authority, place and issue date. A changed row is
reported, `--update` records the change through the executor's commands; one pass
names every problem of the file; unknown authorities are listed once each, or
registered with `--create-authorities` / `--authorities FILE`."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from openpyxl import Workbook

from domain.authority import Authority
from domain.recommendation import Recommendation
from domain.values import RecommendationKind, Status
from services.application.commands.recommendations import (
    DraftRecommendation,
    RecordOrigin,
    Tags,
)
from services.application.executor import Executor
from services.application.store import Rectrack
from services.cli import main
from services.spreadsheet_identity import content_key
from services.spreadsheet_rows import header_columns, read_row
from tests.builders import Commander

HEADER = (
    "external_id,text,authority,issued_on,themes,"
    "response_received_on,response_position,response_text"
)


def write(tmp_path: Path, rows: list[str], name: str = "records.csv", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["import", *args])
    out, err = capsys.readouterr()
    return code, out, err


def events_of(app: Rectrack) -> list[tuple[str, str]]:
    """(event name, command id) of every recommendation event, in log order."""
    found = []
    for n in app.recorder.select_notifications(0, 10_000):
        if ":Recommendation." in n.topic:
            event = app.mapper.to_domain_event(n)
            found.append((type(event).__qualname__.split(".")[-1], event.meta.command_id))  # type: ignore[attr-defined]
    return found


def by_external_id(app: Rectrack) -> dict[str, Recommendation]:
    found = {}
    for n in app.recorder.select_notifications(0, 10_000):
        if n.topic.endswith("Recommendation.Drafted"):
            rec = app.get(Recommendation, UUID(str(n.originator_id)))
            found[rec.external_id or rec.text] = rec
    return found


ROWS = [
    "R-1,Install call buttons,Ministry of Justice,2024-03-01,safety,,,",
    "R-2,Keep a restraint register,Ministry of Justice,2024-03-01,restraint,,,",
    ",Train staff in de-escalation,Ministry of Justice,2024-03-02,training,,,",
]


def test_a_changed_row_is_reported_and_update_records_it(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, str(write(tmp_path, ROWS)))[0] == 0
    first = world.recorder.max_notification_id()
    changed = [
        "R-1,Install call buttons in every cell,Ministry of Justice,2024-03-01,safety; cells,,,",
        "R-2,Keep a restraint register,Ministry of Justice,2024-03-01,restraint,"
        "2024-04-10,Accepted,We will keep one.",
        ROWS[2],
        "R-9,Open the library daily,Ministry of Justice,2024-03-05,,,,",
    ]
    path = write(tmp_path, changed, "changed.csv")
    code, out, err = run(capsys, str(path))
    assert code == 0, err
    assert "imported 1 recommendation(s)" in out and "1 already imported" in out
    assert "2 row(s) changed since their import (run again with --update to record)" in out
    assert "row 2 (NPM-2024-0001) changed since its import: text, themes" in out
    assert (
        "row 3 (NPM-2024-0002) changed since its import: response_received_on, "
        "response_position, response_text"
    ) in out
    stored = by_external_id(world)
    assert stored["R-1"].text == "Install call buttons"  # reported, not recorded
    assert "R-9" in stored

    after_new = world.recorder.max_notification_id()
    code, out, err = run(capsys, "--update", str(path))
    assert code == 0, err
    assert "2 updated" in out
    stored = by_external_id(world)
    assert stored["R-1"].text == "Install call buttons in every cell"
    assert stored["R-1"].tags["themes"] == ["safety", "cells"]
    assert stored["R-2"].status == Status.RESPONDED
    assert stored["R-2"].responses[-1]["text"] == "We will keep one."
    names = [name for name, _ in events_of(world)]
    assert names.count("Reformulated") == 1 and names.count("TagsChanged") == 1
    assert names.count("ResponseReceived") == 1
    assert world.recorder.max_notification_id() > after_new > first

    # The same file again, updated or not: nothing to append.
    before = world.recorder.max_notification_id()
    for args in ([str(path)], ["--update", str(path)]):
        code, out, err = run(capsys, *args)
        assert code == 0, err
        assert "already imported; nothing appended (4 record(s))" in out
    assert world.recorder.max_notification_id() == before


def test_what_no_command_changes_refuses_the_update(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, str(write(tmp_path, ROWS[:1])))[0] == 0
    before = world.recorder.max_notification_id()
    moved = write(
        tmp_path, ["R-1,Install call buttons,Ministry of Justice,2024-02-01,safety,,,"], "moved.csv"
    )
    code, _, err = run(capsys, "--update", str(moved))
    assert code == 1
    assert "row 2, column issued_on: cannot be changed by an import" in err
    assert world.recorder.max_notification_id() == before


def test_every_problem_of_the_file_in_one_pass(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = (
        "external_id,kind,text,authority,issued_on,"
        "response_received_on,response_position,response_text,verified"
    )
    rows = [
        "P-1,visit,Fine,Ministry of Justice,2024-03-01,,,,",
        "P-2,inspection,Bad kind,Ministry of Justice,2024-03-01,,,,",
        "P-3,visit,Bad date,Ministry of Justice,01/03/2024,,,,",
        "P-4,VISIT,Bad position,Ministry of Justice,2024-03-01,2024-04-01,maybe,Hm.,",
        "P-5,visit,Bad flag,Ministry of Justice,2024-03-01,,,,perhaps",
        "P-1,visit,Same id again,Ministry of Justice,2024-03-01,,,,",
        "P-7,visit,,Ministry of Justice,2024-03-01,,,,",
    ]
    path = write(tmp_path, rows, header=header)
    before = world.recorder.max_notification_id()
    code, _, err = run(capsys, str(path))
    assert code == 1
    assert "6 problem(s); nothing was imported" in err
    for expected in (
        "row 3, column kind: 'inspection' is not one of the accepted values: visit, thematic",
        "row 4, column issued_on: '01/03/2024' is not a date in the format YYYY-MM-DD",
        "row 5, column response_position: 'maybe' is not one of the accepted values: accepted,",
        "row 6, column verified: must be true or false",
        "row 7, column external_id: repeats the record of row 2: the rows of one record must "
        "follow each other",
        "row 8, column text: Field required",
    ):
        assert expected in err, expected
    assert world.recorder.max_notification_id() == before


def test_unknown_authorities_are_listed_once_or_registered(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [
        "A-1,Fix the roof,Ministry of Health,2024-03-01,,,,",
        "A-2,Fix the heating,Ministry of Health,2024-03-01,,,,",
        "A-3,Fix the lights,Regional Police,2024-03-01,,,,",
        "A-4,Fix the doors,Ministry of Justice,2024-03-01,,,,",
    ]
    path = write(tmp_path, rows)
    before = world.recorder.max_notification_id()
    code, _, err = run(capsys, str(path))
    assert code == 1
    assert (
        "file: column authority names 2 authorities not registered: 'Ministry of Health' "
        "(rows 2, 3); 'Regional Police' (row 4)"
    ) in err
    assert err.count("Ministry of Health") == 1
    assert world.recorder.max_notification_id() == before

    code, _, err = run(capsys, "--create-authorities", str(path))
    assert code == 2 and "--create-authorities needs --jurisdiction" in err

    authorities = tmp_path / "authorities.csv"
    authorities.write_text(
        "name,kind,jurisdiction,reply_period_days,urgent_reply_period_days\n"
        "Regional Police,police,FR,45,10\n",
        encoding="utf-8",
    )
    code, out, err = run(
        capsys,
        "--create-authorities",
        "--jurisdiction",
        "DE",
        "--authorities",
        str(authorities),
        str(path),
    )
    assert code == 0, err
    assert "registered the authority 'Ministry of Health'" in out
    assert "registered the authority 'Regional Police'" in out
    registered = {}
    for n in world.recorder.select_notifications(0, 10_000):
        if n.topic.endswith("Authority.Registered"):
            authority = world.get(Authority, UUID(str(n.originator_id)))
            registered[authority.name] = authority
    assert registered["Ministry of Health"].jurisdiction == "DE"
    assert registered["Regional Police"].jurisdiction == "FR"
    stored = by_external_id(world)
    assert stored["A-3"].authority_id == str(registered["Regional Police"].id)
    assert stored["A-1"].authority_id == stored["A-2"].authority_id
    assert stored["A-1"].authority_id == str(registered["Ministry of Health"].id)


def test_authorities_from_a_second_sheet_of_the_workbook(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "book.xlsx"
    book = Workbook()
    records = book.active
    assert records is not None
    records.title = "Recommendations"
    records.append(["external_id", "text", "authority", "issued_on"])
    records.append(["S-1", "Fix the roof", "Ministère de la Santé", date(2024, 3, 1)])
    registry = book.create_sheet("Authorities")
    registry.append(
        ["Name", "Kind", "Jurisdiction", "Reply period days", "Urgent reply period days"]
    )
    registry.append(["Ministère de la Santé", "ministry", "FR", 60, 10])
    book.save(path)
    code, out, err = run(capsys, "--authorities-sheet", "Authorities", str(path))
    assert code == 0, err
    assert "registered the authority 'Ministère de la Santé'" in out
    health = next(
        world.get(Authority, UUID(str(n.originator_id)))
        for n in world.recorder.select_notifications(0, 10_000)
        if n.topic.endswith("Authority.Registered")
        and world.get(Authority, UUID(str(n.originator_id))).name == "Ministère de la Santé"
    )
    assert health.jurisdiction == "FR"
    assert by_external_id(world)["S-1"].authority_id == str(health.id)


def first_authority(world: Rectrack) -> UUID:
    """The first authority registered in the world the test imports into."""
    return next(
        UUID(str(n.originator_id))
        for n in world.recorder.select_notifications(0, 100)
        if n.topic.endswith("Authority.Registered")
    )


def test_a_record_drafted_here_is_found_by_its_external_id(
    world: Rectrack, executor: Executor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No import entry names it: the status view does, and the row is compared with it."""
    justice = first_authority(world)
    Commander(executor)(
        DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="Install call buttons",
            authority_id=justice,
            issued_on=date(2024, 3, 1),
            tags=Tags(themes=["safety"]),
            external_id="R-1",
        ),
        on=date(2024, 3, 1),
    )
    assert main(["projections", "rebuild"]) == 0
    before = world.recorder.max_notification_id()
    code, out, err = run(capsys, str(write(tmp_path, ROWS[:1])))
    assert code == 0, err
    assert "already imported; nothing appended (1 record(s))" in out
    assert world.recorder.max_notification_id() == before

    changed = "R-1,Install call buttons in every cell,Ministry of Justice,2024-03-01,safety,,,"
    path = write(tmp_path, [changed], "changed.csv")
    code, out, err = run(capsys, str(path))
    assert code == 0, err
    assert "row 2 (NPM-2024-0001) changed since its import: text" in out
    assert world.recorder.max_notification_id() == before
    code, out, err = run(capsys, "--update", str(path))
    assert code == 0, err and "1 updated" in out
    assert by_external_id(world)["R-1"].text == "Install call buttons in every cell"
    assert len([r for r in by_external_id(world).values() if r.external_id == "R-1"]) == 1


def test_a_later_reply_row_is_appended_without_update(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stored record's later reply is new information; an earlier one it lacks is a
    change, recorded only with --update."""
    first = "R-2,Keep a restraint register,Ministry of Justice,2024-03-01,restraint,"
    one = [first + "2024-04-10,,Under consideration."]
    assert run(capsys, str(write(tmp_path, one)))[0] == 0
    later = [*one, first + "2024-06-01,Accepted,We will keep one."]
    path = write(tmp_path, later, "later.csv")
    code, out, err = run(capsys, str(path))
    assert code == 0, err
    assert "imported 0 recommendation(s) as 1 event(s); 1 already imported" in out
    assert "1 row(s) of later replies, assessments or closures of stored records" in out
    replies = by_external_id(world)["R-2"].responses
    assert [(r["received_on"], r["position"]) for r in replies] == [
        (date(2024, 4, 10), None),
        (date(2024, 6, 1), "accepted"),
    ]
    before = world.recorder.max_notification_id()
    code, out, err = run(capsys, str(path))
    assert code == 0, err
    assert "already imported; nothing appended (1 record(s))" in out
    assert world.recorder.max_notification_id() == before

    # A reply dated before the record's last one it holds is a change, not news.
    earlier = [*later, first + "2024-05-01,Noted,A note in between."]
    path = write(tmp_path, earlier, "earlier.csv")
    code, out, err = run(capsys, str(path))
    assert code == 0, err
    assert "row 4 (NPM-2024-0001) changed since its import: response_received_on" in out
    assert world.recorder.max_notification_id() == before
    code, out, err = run(capsys, "--update", str(path))
    assert code == 0, err and "1 updated" in out
    assert len(by_external_id(world)["R-2"].responses) == 3


def test_the_rows_of_a_new_record_are_known_to_a_reimport(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = "R-3,Open the library daily,Ministry of Justice,2024-03-01,,"
    rows = [first + "2024-04-01,,Studying it.", first + "2024-05-01,Accepted,Done soon."]
    path = write(tmp_path, rows)
    code, out, err = run(capsys, str(path))
    assert code == 0, err and "imported 1 recommendation(s)" in out
    before = world.recorder.max_notification_id()
    code, out, err = run(capsys, str(path))
    assert "already imported; nothing appended (1 record(s))" in out
    assert world.recorder.max_notification_id() == before
    # each later row's key is in the command log: a re-import need not load the record
    columns, _ = header_columns(HEADER.split(","))
    later, _ = read_row(3, columns, next(csv.reader([rows[1]])))
    assert later is not None
    assert content_key(later) in world.known_commands([content_key(later)])


def test_an_external_id_of_several_stored_records_is_refused(
    world: Rectrack, executor: Executor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    justice = first_authority(world)
    for text in ("Install call buttons", "Install call buttons again"):
        Commander(executor)(
            DraftRecommendation(
                kind=RecommendationKind.VISIT, text=text, authority_id=justice, external_id="R-1"
            )
        )
    assert main(["projections", "rebuild"]) == 0
    before = world.recorder.max_notification_id()
    code, _, err = run(capsys, str(write(tmp_path, ROWS[:1])))
    assert code == 1
    assert "row 2, column external_id: names several stored records: give each its own" in err
    assert world.recorder.max_notification_id() == before


def test_a_later_assessment_and_closure_are_appended_without_update(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An assessment or closure a stored record lacks is new information, on its one row
    as on a later row; a closure on another day than the stored one is refused."""
    header = HEADER + ",implementation,assessed_on,closed_on,closure_reason"
    record = "R-4,Repair the showers,Ministry of Justice,2024-03-01,,2024-04-01,Accepted,Will do."
    assert run(capsys, str(write(tmp_path, [record + ",,,,"], header=header)))[0] == 0
    done = record + ",implemented,2024-09-01,2024-10-01,Implemented and verified"
    path = write(tmp_path, [done], "done.csv", header)
    code, out, err = run(capsys, str(path))
    assert code == 0, err
    assert "1 row(s) of later replies, assessments or closures of stored records" in out
    assert "changed since" not in out
    stored = by_external_id(world)["R-4"]
    assert (stored.implementation, stored.assessed_on) == ("implemented", date(2024, 9, 1))
    assert (stored.status, stored.closed_on) == (Status.CLOSED, date(2024, 10, 1))
    before = world.recorder.max_notification_id()
    code, out, err = run(capsys, str(path))
    assert code == 0 and "already imported; nothing appended (1 record(s))" in out, err
    assert world.recorder.max_notification_id() == before

    moved = done.replace("2024-10-01", "2024-11-01")
    code, _, err = run(capsys, "--update", str(write(tmp_path, [moved], "moved.csv", header)))
    assert code == 1
    assert "row 2, column closed_on: cannot be changed by an import" in err
    assert world.recorder.max_notification_id() == before


def test_a_record_drafted_moments_before_is_found_by_its_external_id(
    world: Rectrack, executor: Executor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Drafted through the API after the status view's last event (no projector runs
    here): the import reads the log after the view's position, and finds it, under the
    external id it has now."""
    justice = first_authority(world)
    run_command = Commander(executor)

    def draft(text: str, external_id: str) -> UUID:
        result = run_command(
            DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text=text,
                authority_id=justice,
                issued_on=date(2024, 3, 1),
                tags=Tags(themes=["safety"]),
                external_id=external_id,
            ),
            on=date(2024, 3, 1),
        )
        return result.aggregate_id

    renamed = draft("Keep a restraint register", "OLD-2")
    assert main(["projections", "rebuild"]) == 0  # the view knows OLD-2 ...
    run_command(RecordOrigin(external_id="R-2"), renamed)  # ... not that it is R-2 now
    draft("Install call buttons", "R-1")  # nor this one
    before = world.recorder.max_notification_id()
    rows = [*ROWS[:2], "OLD-2,Keep a restraint register,Ministry of Justice,2024-03-01,safety,,,"]
    code, out, err = run(capsys, str(write(tmp_path, rows)))
    assert code == 0, err
    assert "imported 1 recommendation(s)" in out and "1 already imported" in out
    assert "row 3 (NPM-2024-0001) changed since its import: themes" in out
    stored = [r.external_id for r in by_external_id(world).values()]
    assert sorted(stored) == ["OLD-2", "R-1", "R-2"]
    assert world.recorder.max_notification_id() > before


def test_update_checks_the_additions_with_the_changes_before_storing_any(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A changed row whose assessment the record cannot take (a draft: never issued) is
    refused whole in the first pass: not reformulated, then failing on the assessment."""
    header = HEADER + ",implementation"
    draft = ["R-5,Fix the heating,Ministry of Justice,,,,,,"]
    assert run(capsys, str(write(tmp_path, draft, header=header)))[0] == 0
    before = world.recorder.max_notification_id()
    changed = ["R-5,Fix the heating in every wing,Ministry of Justice,,,,,,implemented"]
    code, _, err = run(capsys, "--update", str(write(tmp_path, changed, "changed.csv", header)))
    assert code == 1, err
    assert "row 2" in err and "nothing was imported" in err
    assert world.recorder.max_notification_id() == before
    assert by_external_id(world)["R-5"].text == "Fix the heating"
