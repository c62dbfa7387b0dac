"""The streamed XLSX writer, read back by openpyxl: typed cells, the header frozen and
bold, markup and control characters in text, many rows in chunks."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from services.spreadsheet_xlsx import xlsx_stream


def test_a_streamed_workbook_reads_back_cell_for_cell() -> None:
    rows = [
        ['a <b> & "c"\nline two', date(2024, 3, 1), True, None, 42, 1.5],
        ["bell\x07 and nul\x00 dropped", date(1999, 12, 31), False, "x", None, None],
    ] + [[f"row {n}", date(2020, 1, 1), False, None, n, None] for n in range(1200)]
    chunks = list(
        xlsx_stream(["text", "on", "ok", "empty", "n", "f"], iter(rows), rows_per_chunk=100)
    )
    assert len(chunks) > 5, "written as the rows come, not at the end"
    book = load_workbook(io.BytesIO(b"".join(chunks)))
    sheet = book.worksheets[0]
    assert sheet.title == "recommendations"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b is True and sheet["A2"].font.b is not True
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == ("text", "on", "ok", "empty", "n", "f")
    assert table[1] == ('a <b> & "c"\nline two', datetime(2024, 3, 1), True, None, 42, 1.5)
    assert table[2] == ("bell and nul dropped", datetime(1999, 12, 31), False, "x", None, None)
    assert sheet["B2"].number_format == "yyyy-mm-dd"
    assert len(table) == 1 + len(rows)
    assert table[-1] == ("row 1199", datetime(2020, 1, 1), False, None, 1199, None)
