"""Any list of recommendations, out as CSV or XLSX, in the import's own columns.

The columns are the import's (one table: `COLUMNS` of the import), so a file exported
here and imported into an empty store gives the same records (the round trip test).
Each column is read from the status view field it names, unless SOURCES says otherwise;
a column with no source fails the round trip and the column test, so a column added to
the import is decided here too.

An outsider's export (an authority liaison) is the list it may see (only its authority's
issued recommendations) in the columns whose source field domain/publication.py calls
publishable: the same split as every other outward view, not a second one.

Rows are streamed: CSV a batch of rows at a time; XLSX is written row by row by
openpyxl's write-only workbook to a spooled temporary file, then sent in chunks, so the
memory held does not grow with the number of rows.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import structlog

from domain.publication import PUBLISHABLE_FIELDS

# The one column table. The "import" work moves it to an edge-neutral module
# (services/spreadsheet_columns.py); re-point this import there and nothing else changes.
from services.spreadsheet_import import COLUMNS, LIST_SEPARATOR

log = structlog.get_logger(__name__)

Format = Literal["csv", "xlsx"]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

SOURCES: dict[str, str] = {
    "authority": "authority_name",
    "place": "place_name",
    # the authority's last response (the import records one response per row), read
    # from the row's `last_response`: the register view's published data of it
    "response_received_on": "responses",
    "response_position": "responses",
    "response_text": "responses",
}
"""The field of an export row (status view, by publication.py's names) each column is
read from, where it is not the column's own name."""

_RESPONSE_KEYS = {
    "response_received_on": "received_on",
    "response_position": "position",
    "response_text": "text",
}
LIST_JOIN = f"{LIST_SEPARATOR} "
CHUNK_ROWS = 200


def source_of(column: str) -> str:
    return SOURCES.get(column, column)


def columns_for(published_only: bool) -> list[str]:
    """The import's columns; an outsider's only those read from publishable fields."""
    if not published_only:
        return list(COLUMNS)
    return [c for c in COLUMNS if source_of(c) in PUBLISHABLE_FIELDS]


def _external_id(row: dict[str, Any]) -> str | None:
    # A record made here has no external id: its reference is its identity elsewhere.
    value = row.get("external_id") or row.get("reference")
    return str(value) if value else None


def cell_values(row: dict[str, Any], columns: Iterable[str]) -> list[Any]:
    """One export row's typed values, in `columns` order: dates as dates, `verified` as
    a bool, lists joined by the import's separator, absent as None."""
    values: list[Any] = []
    for column in columns:
        if column == "external_id":
            values.append(_external_id(row))
            continue
        if column in _RESPONSE_KEYS:
            response = row.get("last_response") or {}
            value = response.get(_RESPONSE_KEYS[column])
            if column == "response_received_on" and isinstance(value, str):
                value = date.fromisoformat(value)
            values.append(value)
            continue
        value = row.get(source_of(column))
        if isinstance(value, list | tuple):
            value = LIST_JOIN.join(str(v) for v in value) or None
        values.append(value)
    return values


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def csv_chunks(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    on_row: Callable[[int], None] | None = None,
) -> Iterator[bytes]:
    """The CSV file in chunks: UTF-8 with a BOM (what spreadsheet programs read as
    UTF-8, and the import accepts), RFC 4180 quoting, CRLF line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" + buffer.getvalue()).encode()
    buffer.seek(0)
    buffer.truncate()
    done = 0
    for row in rows:
        writer.writerow([_text(v) for v in cell_values(row, columns)])
        done += 1
        if done % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            if on_row is not None:
                on_row(done)
    yield buffer.getvalue().encode()
    if on_row is not None:
        on_row(done)


def xlsx_chunks(
    rows: Iterable[dict[str, Any]],
    columns: list[str],
    on_row: Callable[[int], None] | None = None,
    *,
    chunk_bytes: int = 256 * 1024,
) -> Iterator[bytes]:
    """The XLSX workbook in chunks: one sheet, the header frozen and bold, typed cells
    (dates as dates, `verified` as true/false)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("recommendations")
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in columns:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    done = 0
    for row in rows:
        values = cell_values(row, columns)
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            cells.append(cell)
        sheet.append(cells)
        done += 1
        if on_row is not None and done % CHUNK_ROWS == 0:
            on_row(done)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        book.save(out)
        if on_row is not None:
            on_row(done)
        out.seek(0)
        while chunk := out.read(chunk_bytes):
            yield chunk


@dataclass(frozen=True)
class Export:
    """What one export sends: its columns, its file name and media type, its chunks."""

    format: Format
    columns: list[str]
    chunks: Iterator[bytes]

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]

    @property
    def filename(self) -> str:
        return f"recommendations-{date.today().isoformat()}.{self.format}"


def export(
    rows: Iterable[dict[str, Any]],
    format: Format,
    *,
    published_only: bool,
    reader: str,
    filters: dict[str, Any],
    on_row: Callable[[int], None] | None = None,
) -> Export:
    """The export of these rows (export_rows.iter_rows: a list's rows) as `format`, for
    `reader` (who asked: "user:<id> as <role>", "cli:<os user>"). Every entry point
    (API, CLI, so the web UI too) comes through here."""
    if format not in MEDIA_TYPES:
        raise ValueError(f"format must be one of {', '.join(MEDIA_TYPES)}")
    columns = columns_for(published_only)
    log.info("export", reader=reader, format=format, filters=filters, columns=len(columns))
    # ACCESS RECORD HOOK (issue #17, "tokens" work): an export of internal records
    # (published_only False) is an access to record: who (`reader`), when, which list
    # (`filters`) and in which format. Record it here, the one place every export passes.
    write = csv_chunks if format == "csv" else xlsx_chunks
    return Export(format, columns, write(rows, columns, on_row))
