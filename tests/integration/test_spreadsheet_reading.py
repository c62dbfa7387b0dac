"""`rectrack import` reads a file as it was written, against real PostgreSQL: RFC 4180 CSV
(no dialect guessed from a sample) with CR, LF or CRLF line ends, cells over several
lines, `""` escapes anywhere, a single-quoted word; UTF-8 with or without a byte-order
mark, another encoding when told (`--encoding`), a clear error when not; XLSX, the first
sheet or `--sheet`. The same records in other bytes append nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import pytest
from openpyxl import Workbook

from domain.recommendation import Recommendation
from services.application.store import Rectrack
from services.cli import main

HEADER = ["external_id", "text", "authority", "issued_on", "themes"]
PADDING = "x" * 4500  # a `""` escape after the first 4 KB of the file


def records() -> list[list[str]]:
    return [
        ["R-1", "Install call buttons in every cell", "Ministry of Justice", "2024-03-01", ""],
        ["R-2", f"Filler {PADDING}", "Ministry of Justice", "2024-03-01", ""],
        [
            "R-3",
            'Say "no" to "voluntary" isolation',
            "Ministry of Justice",
            "2024-03-02",
            "isolation; régime",
        ],
        ["R-4", "Stop the 'quiet room' practice, at once", "Ministry of Justice", "2024-03-03", ""],
        [
            "R-5",
            "Post the house rules\nin every language\nspoken in the prison",
            "Ministry of Justice",
            "2024-03-04",
            "information",
        ],
        ["R-6", "Serve halal and kosher food; label it — Überall", "ministry of justice", "", ""],
    ]


def as_csv(rows: list[list[str]], end: str = "\r\n", delimiter: str = ",") -> str:
    def cell(value: str) -> str:
        if any(c in value for c in f'"\r\n{delimiter}'):
            return '"' + value.replace('"', '""') + '"'
        return value

    return "".join(delimiter.join(cell(v) for v in row) + end for row in [HEADER, *rows])


def texts(app: Rectrack) -> dict[str, Recommendation]:
    found = {}
    for n in app.recorder.select_notifications(0, 10_000):
        if n.topic.endswith("Recommendation.Drafted"):
            rec = app.get(Recommendation, UUID(str(n.originator_id)))
            found[rec.external_id or rec.text] = rec
    return found


def run_import(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["import", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cr_only_line_ends_multi_line_cells_and_escapes_after_4_kb(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Excel for Mac's CR-only line ends, a quoted cell over three lines, `""` escapes
    after the first 4 KB and a single-quoted word: every cell as written."""
    path = tmp_path / "mac.csv"
    path.write_bytes(as_csv(records(), end="\r").encode("utf-8"))
    code, out, err = run_import(capsys, str(path))
    assert code == 0, err
    assert "imported 6 recommendation(s)" in out
    stored = texts(world)
    assert stored["R-3"].text == 'Say "no" to "voluntary" isolation'
    assert stored["R-3"].tags["themes"] == ["isolation", "régime"]
    assert stored["R-4"].text == "Stop the 'quiet room' practice, at once"
    assert stored["R-5"].text == "Post the house rules\nin every language\nspoken in the prison"
    assert stored["R-2"].text == f"Filler {PADDING}"
    assert stored["R-6"].text == "Serve halal and kosher food; label it — Überall"
    assert stored["R-1"].issued_on == date(2024, 3, 1)


def test_the_same_records_in_other_bytes_append_nothing(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """CRLF with a BOM, then LF without, then CR, then semicolons, then XLSX: the first
    import stores the records, every other one finds them all already imported."""
    first = tmp_path / "windows.csv"
    first.write_bytes(as_csv(records(), end="\r\n").encode("utf-8-sig"))
    assert run_import(capsys, str(first))[0] == 0
    before = world.recorder.max_notification_id()
    unix = tmp_path / "unix.csv"
    unix.write_bytes(as_csv(records(), end="\n").encode("utf-8"))
    mac = tmp_path / "mac.csv"
    mac.write_bytes(as_csv(records(), end="\r").encode("utf-8"))
    semicolons = tmp_path / "semicolons.csv"
    semicolons.write_bytes(as_csv(records(), delimiter=";").encode("utf-8"))
    for args in ([str(unix)], [str(mac)], ["--delimiter", ";", str(semicolons)]):
        code, out, err = run_import(capsys, *args)
        assert code == 0, err
        assert "already imported; nothing appended (6 record(s))" in out
    workbook = tmp_path / "records.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in records():
        # XLSX keeps dates as dates: the same day as the CSV's text
        sheet.append(
            [
                date.fromisoformat(v) if k == "issued_on" and v else v
                for k, v in zip(HEADER, row, strict=True)
            ]
        )
    book.save(workbook)
    code, out, err = run_import(capsys, str(workbook))
    assert code == 0, err
    assert "already imported; nothing appended (6 record(s))" in out
    assert world.recorder.max_notification_id() == before


def test_another_encoding_is_named_and_read_when_given(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cp1252.csv"
    rows = [["W-1", "Reopen the café for visitors", "Ministry of Justice", "2024-03-01", ""]]
    content = as_csv(rows).encode("cp1252")
    path.write_bytes(content)
    before = world.recorder.max_notification_id()
    code, _, err = run_import(capsys, str(path))
    assert code == 1
    offset = content.index("é".encode("cp1252"))
    assert f"is not utf-8 text: byte {offset} (0xe9, while reading row 2)" in err
    assert "--encoding (cp1252, mac_roman, latin-1)" in err
    assert "Traceback" not in err
    assert world.recorder.max_notification_id() == before

    code, _, err = run_import(capsys, "--encoding", "cp1252", str(path))
    assert code == 0, err
    assert texts(world)["W-1"].text == "Reopen the café for visitors"


def test_a_semicolon_file_read_as_commas_says_which_delimiter_to_give(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_bytes(as_csv(records()[:1], delimiter=";").encode("utf-8"))
    code, _, err = run_import(capsys, str(path))
    assert code == 1
    assert "give --delimiter ';'" in err


def test_xlsx_first_sheet_or_the_sheet_named(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "book.xlsx"
    book = Workbook()
    notes = book.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["This workbook lists the 2024 recommendations"])
    sheet = book.create_sheet("Recommendations")
    sheet.append(HEADER)
    sheet.append(["X-1", "Open the yard daily", "Ministry of Justice", date(2024, 5, 2), "yard"])
    sheet.append(["X-2", "Line one\nline two", "Ministry of Justice", None, None])
    book.save(path)

    code, _, err = run_import(capsys, str(path))
    assert code == 1
    assert "header, column this_workbook_lists_the_2024_recommendations: is not a known" in err

    code, _, err = run_import(capsys, "--sheet", "Missing", str(path))
    assert code == 1
    assert "has no sheet named 'Missing'; its sheets: Notes, Recommendations" in err

    code, _, err = run_import(capsys, "--sheet", "Recommendations", str(path))
    assert code == 0, err
    stored = texts(world)
    assert stored["X-1"].issued_on == date(2024, 5, 2)
    assert stored["X-1"].tags["themes"] == ["yard"]
    assert stored["X-2"].text == "Line one\nline two"


def test_a_quote_inside_a_quoted_cell_not_doubled_is_named(
    world: Rectrack, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(
        b"external_id,text,authority\nQ-1,Fine,Ministry of Justice\n"
        b'Q-2,"Say "no" please",Ministry of Justice\n'
    )
    before = world.recorder.max_notification_id()
    code, _, err = run_import(capsys, str(path))
    assert code == 1
    assert "file: is not valid CSV at row 3: ',' expected after '\"'" in err
    assert 'its quotes doubled: "say ""yes"""' in err
    assert world.recorder.max_notification_id() == before
    code, _, err = run_import(capsys, "--delimiter", "ab", str(path))
    assert code == 2
    assert "--delimiter must be one character" in err
