"""Any list of recommendations, out as CSV or XLSX, in the import's own columns.

The columns are the import's (one table: `COLUMNS` of the import), so a file exported
here and imported into an empty store gives the same records (the round trip test).
One row per response the authority sent (a recommendation with none is one row), the
rows of one recommendation next to each other with the same external id, as the import
joins them: each row repeats the record's own cells and gives one response; the
assessment and the closure are on the record's last row, after its responses.

Each column is read from the status view field it names, unless SOURCES says otherwise;
a column with no source fails the round trip and the column test, so a column added to
the import is decided here too.

An outsider's export (an authority liaison) is the list it may see (only its authority's
issued recommendations) in the columns whose source field domain/publication.py calls
publishable: the same split as every other outward view, not a second one.

Rows are streamed, CSV and XLSX alike (services/spreadsheet_xlsx.py deflates the sheet
as the rows come): the memory held does not grow with the number of rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import structlog

from domain.publication import PUBLISHABLE_FIELDS
from projections.views.status import RECOMMENDATIONS as STATUS

# The one column table, the import's (services/spreadsheet_columns.py).
from services.spreadsheet_columns import COLUMN_NAMES as COLUMNS
from services.spreadsheet_columns import COLUMNS as COLUMN_TABLE
from services.spreadsheet_columns import LIST_SEPARATOR, Step
from services.spreadsheet_xlsx import xlsx_stream

log = structlog.get_logger(__name__)

Format = Literal["csv", "xlsx"]

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

SOURCES: dict[str, str] = {
    "authority": "authority_name",
    "place": "place_name",
    # the row's response (the import records one response per row)
    "response_received_on": "reply_received_on",
    "response_position": "reply_position",
    "response_text": "reply_text",
    "agreed_implementation_date": "reply_agreed_implementation_date",
}
"""The field of an export row (projections/views/export_rows.py) each column is read
from, where it is not the column's own name."""

PUBLISHED_AS: dict[str, str] = {
    "closed_on": "ended_on",
    "closure_reason": "reason",
    "reply_received_on": "responses",
    "reply_position": "responses",
    "reply_text": "responses",
    "reply_agreed_implementation_date": "responses",
}
"""What domain/publication.py calls a row field, where it names it otherwise (the
authority's responses are publishable, as the register view keeps them)."""

LIST_JOIN = f"{LIST_SEPARATOR} "
CHUNK_ROWS = 500
#: the columns written on a record's last row only (after its responses)
ON_LAST_ROW = frozenset(c.name for c in COLUMN_TABLE if c.step in (Step.ASSESS, Step.CLOSE))


def source_of(column: str) -> str:
    return SOURCES.get(column, column)


def columns_for(published_only: bool) -> list[str]:
    """The import's columns; an outsider's only those read from publishable fields."""
    if not published_only:
        return list(COLUMNS)
    return [
        c for c in COLUMNS if PUBLISHED_AS.get(source_of(c), source_of(c)) in PUBLISHABLE_FIELDS
    ]


def fields_for(columns: Sequence[str]) -> list[str]:
    """The row fields to read for these columns (the reference, or else the record's id,
    stands in for a missing external id; `record_ends` says whether the row is its
    record's last), in `cell_values`' order."""
    return [source_of(c) for c in columns] + ["reference", "record_ends", "recommendation_id"]


Getter = Callable[[tuple[Any, ...]], Any]


def _getter(column: str, index: int, reference: int) -> Getter:
    if column in ON_LAST_ROW:
        # False on a record's rows before its last; None (a row given as a dict): last
        return lambda row: None if row[reference + 1] is False else row[index]
    if column == "external_id":
        # A record made here has no external id: its reference is its identity elsewhere,
        # or, drafted before references, its id: every row of a record carries a key its
        # later rows join on when the file is imported again.
        return lambda row: row[index] or row[reference] or _text(row[reference + 2])
    if STATUS.columns.get(source_of(column)) == "text[]":
        return lambda row: LIST_JOIN.join(row[index]) or None if row[index] else None
    return lambda row: row[index]


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _as_text(column: str, get: Getter) -> Getter:
    """`get`, written as CSV text: ISO dates, true/false, nothing as an empty cell."""
    kind = STATUS.columns.get(source_of(column))
    if kind == "date" or column in (
        "response_received_on",
        "closed_on",
        "agreed_implementation_date",
    ):
        return lambda row: "" if (v := get(row)) is None else v.isoformat()
    if kind == "boolean":
        return lambda row: "" if (v := get(row)) is None else ("true" if v else "false")
    return lambda row: "" if (v := get(row)) is None else str(v)


def row_reader(
    columns: Sequence[str], *, as_text: bool = False
) -> Callable[[tuple[Any, ...]], list[Any]]:
    """A function from an export row (a tuple of `fields_for(columns)`) to its values in
    `columns` order: dates as dates, `verified` as a bool, lists joined by the import's
    separator, absent as None; or, `as_text`, each as CSV text."""
    reference = len(columns)
    getters = [_getter(c, i, reference) for i, c in enumerate(columns)]
    if as_text:
        getters = [_as_text(c, get) for c, get in zip(columns, getters, strict=True)]
    return lambda row: [get(row) for get in getters]


def cell_values(row: dict[str, Any], columns: Sequence[str]) -> list[Any]:
    """`row_reader` for one row given as a dict of fields."""
    return row_reader(columns)(tuple(row.get(f) for f in fields_for(columns)))


Rows = Iterable[tuple[Any, ...]]


def csv_chunks(
    rows: Rows, columns: list[str], on_row: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The CSV file in chunks: UTF-8 with a BOM (what spreadsheet programs read as
    UTF-8, and the import accepts), RFC 4180 quoting, CRLF line ends."""
    texts = row_reader(columns, as_text=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    yield ("\ufeff" + buffer.getvalue()).encode()
    buffer.seek(0)
    buffer.truncate()
    done = 0
    for row in rows:
        writer.writerow(texts(row))
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
    rows: Rows, columns: list[str], on_row: Callable[[int], None] | None = None
) -> Iterator[bytes]:
    """The XLSX workbook in chunks (services/spreadsheet_xlsx.py): one sheet, the header
    frozen and bold, typed cells (dates as dates, `verified` as true/false)."""
    values = row_reader(columns)

    def typed() -> Iterator[list[Any]]:
        done = 0
        for row in rows:
            yield values(row)
            done += 1
            if on_row is not None and done % CHUNK_ROWS == 0:
                on_row(done)
        if on_row is not None:
            on_row(done)

    return xlsx_stream(columns, typed())


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
    read: Callable[[list[str]], Rows],
    format: Format,
    *,
    published_only: bool,
    reader: str,
    filters: dict[str, Any],
    on_row: Callable[[int], None] | None = None,
) -> Export:
    """A list's export as `format`, for `reader` (who asked: "user:<id> as <role>",
    "cli:<os user>"); `read(fields)` gives the list's rows as tuples of those fields
    (export_rows.iter_rows). Every entry point (API, CLI, so the web UI too) comes
    through here."""
    if format not in MEDIA_TYPES:
        raise ValueError(f"format must be one of {', '.join(MEDIA_TYPES)}")
    columns = columns_for(published_only)
    log.info("export", reader=reader, format=format, filters=filters, columns=len(columns))
    # ACCESS RECORD HOOK (issue #17, "tokens" work): an export of internal records
    # (published_only False) is an access to record: who (`reader`), when, which list
    # (`filters`) and in which format. Record it here, the one place every export passes.
    write = csv_chunks if format == "csv" else xlsx_chunks
    chunks = write(read(fields_for(columns)), columns, on_row)
    return Export(format, columns, _logged(chunks, log.bind(reader=reader, format=format)))


def _logged(chunks: Iterator[bytes], bound: Any) -> Iterator[bytes]:
    """The chunks, with the end of the export (or what broke it) in the log: the
    response has begun by then, so the log is where a failure can be read."""
    sent = 0
    try:
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
    except GeneratorExit:
        bound.warning("export abandoned by the reader", bytes=sent)
        raise
    except Exception:
        bound.exception("export failed", bytes=sent)
        raise
    bound.info("export sent", bytes=sent)
