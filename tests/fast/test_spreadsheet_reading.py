"""The CSV reader on real files, with the read size made tiny so that every line end, a
CRLF split between two reads, a multi-byte character and the byte-order mark fall on a
read boundary somewhere: the cells are the same whatever the boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from services import spreadsheet_reading
from services.spreadsheet_reading import ReadError, ReadOptions, Sheet

ROWS = [
    ["id", "text"],
    ["1", "Ünïcödé — «quoted»"],
    ["2", 'Say "no"\r\nand mean it'],
    ["3", "last"],
]


def encode(end: str, bom: bool) -> bytes:
    def cell(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in '"\r\n,') else value

    text = "".join(",".join(cell(v) for v in row) + end for row in ROWS)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7, 64])
@pytest.mark.parametrize("end", ["\r", "\n", "\r\n"])
@pytest.mark.parametrize("bom", [True, False])
def test_cells_do_not_depend_on_read_boundaries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, end: str, bom: bool
) -> None:
    monkeypatch.setattr(spreadsheet_reading, "CHUNK", chunk)
    path = tmp_path / "file.csv"
    path.write_bytes(encode(end, bom))
    sheet = Sheet(path)
    assert sheet.header == ROWS[0]
    assert list(sheet.rows()) == [(2, ROWS[1]), (3, ROWS[2]), (4, ROWS[3])]


@pytest.mark.parametrize("chunk", [1, 4, 64])
def test_a_byte_that_does_not_decode_is_named_by_offset_and_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(spreadsheet_reading, "CHUNK", chunk)
    path = tmp_path / "latin.csv"
    content = b'id,text\n1,"two\nlines"\n2,caf\xe9\n'
    path.write_bytes(content)
    with pytest.raises(ReadError) as raised:
        list(Sheet(path).rows())
    assert raised.value.row == 3  # the header is row 1; a cell over two lines is one row
    offset = content.index(bytes([0xE9]))
    assert f"byte {offset} (0xe9, while reading row 3)" in str(raised.value)
    assert [c for _, c in Sheet(path, ReadOptions(encoding="latin-1")).rows()][-1] == ["2", "café"]
