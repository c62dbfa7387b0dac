"""A row's date, enum and yes/no cells are read once per text (spreadsheet_rows.py): each
row still gets its own values and its own problems, whichever rows came before it."""

from __future__ import annotations

from datetime import date

from services.spreadsheet_columns import BY_NAME
from services.spreadsheet_rows import read_row

HEADER = [BY_NAME[n] for n in ("text", "issued_on", "response_position", "verified")]


def test_repeated_cells_read_alike_and_bad_ones_are_reported_on_every_row() -> None:
    first, problems = read_row(2, HEADER, ["a", "2024-04-30", "Accepted", "yes"])
    assert problems == [] and first is not None
    again, problems = read_row(3, HEADER, ["b", "2024-04-30", "Accepted", "no"])
    assert problems == [] and again is not None
    assert first.values["issued_on"] == again.values["issued_on"] == date(2024, 4, 30)
    assert first.texts["response_position"] == again.texts["response_position"] == "accepted"
    assert first.values["verified"] is True
    assert "verified" not in again.texts  # "no" where no is the default: an empty cell
    for number in (4, 5):
        row, problems = read_row(number, HEADER, ["c", "2024-13-01", "maybe", "x"])
        assert row is None
        assert [(p.row, p.column) for p in problems] == [
            (number, "issued_on"),
            (number, "response_position"),
        ]
