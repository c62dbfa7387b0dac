"""The export's columns are the import's, each read from a field the status view (or the
export's query) has, and an outsider's are only the publishable ones."""

from __future__ import annotations

import csv
import io
from datetime import date

from domain.publication import INTERNAL_FIELDS, PUBLISHABLE_FIELDS
from projections.views.export_rows import JOINED
from projections.views.status import RECOMMENDATIONS
from services.spreadsheet_columns import COLUMN_NAMES as COLUMNS
from services.spreadsheet_export import (
    PUBLISHED_AS,
    cell_values,
    columns_for,
    csv_chunks,
    fields_for,
    source_of,
)


def test_every_import_column_has_a_source() -> None:
    assert columns_for(published_only=False) == list(COLUMNS)
    unknown = [c for c in COLUMNS if source_of(c) not in set(RECOMMENDATIONS.columns) | set(JOINED)]
    assert not unknown, f"no field to export these columns from: {unknown}"


def test_an_outsiders_columns_are_the_publishable_ones() -> None:
    outward = columns_for(published_only=True)
    assert outward, "an outsider's export has columns"
    named = {c: PUBLISHED_AS.get(source_of(c), source_of(c)) for c in COLUMNS}
    assert all(named[c] in PUBLISHABLE_FIELDS for c in outward)
    withheld = set(COLUMNS) - set(outward)
    assert all(named[c] in INTERNAL_FIELDS for c in withheld)
    assert {"themes", "staff", "non_implementation_reason", "verification_method"} <= withheld
    assert {"text", "authority", "response_text", "implementation"} <= set(outward)


def test_cells_are_typed_and_csv_quotes_what_needs_it() -> None:
    row = {
        "reference": "NPM-2024-0001",
        "external_id": None,
        "kind": "visit",
        "text": 'Say "why",\nin writing',
        "authority_name": "Ministère",
        "themes": ["a", "b"],
        "staff": [],
        "issued_on": date(2024, 3, 1),
        "verified": True,
        "reply_received_on": date(2024, 4, 1),
        "reply_position": "noted",
        "reply_text": "Seen.",
    }
    columns = ["external_id", "text", "authority", "themes", "staff", "issued_on", "verified"]
    columns += ["response_received_on", "response_position", "response_text"]
    values = cell_values(row, columns)
    assert values == [
        "NPM-2024-0001",
        'Say "why",\nin writing',
        "Ministère",
        "a; b",
        None,
        date(2024, 3, 1),
        True,
        date(2024, 4, 1),
        "noted",
        "Seen.",
    ]
    as_read = tuple(row.get(f) for f in fields_for(columns))
    content = b"".join(csv_chunks([as_read], columns)).decode("utf-8")
    assert content.startswith("\ufeff")
    read = list(csv.reader(io.StringIO(content.lstrip("\ufeff"), newline="")))
    assert read[0] == columns
    assert read[1][1] == 'Say "why",\nin writing'
    assert read[1][4:7] == ["", "2024-03-01", "true"]


def test_the_assessment_and_closure_are_on_a_records_last_row_only() -> None:
    columns = ["external_id", "response_position", "implementation", "closed_on"]
    fields = fields_for(columns)
    earlier = dict.fromkeys(fields) | {
        "reference": "NPM-2024-0001",
        "reply_position": "rejected",
        "implementation": "implemented",
        "closed_on": date(2024, 9, 1),
        "record_ends": False,
    }
    last = earlier | {"reply_position": "accepted", "record_ends": True}
    rows = [tuple(row[f] for f in fields) for row in (earlier, last)]
    content = b"".join(csv_chunks(rows, columns)).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(content, newline="")))
    assert read[1:] == [
        ["NPM-2024-0001", "rejected", "", ""],
        ["NPM-2024-0001", "accepted", "implemented", "2024-09-01"],
    ]


def test_a_record_with_neither_external_id_nor_reference_is_keyed_by_its_id() -> None:
    """Recommendations stored before references have neither: their rows (one per reply)
    carry the record's id, so the import joins them again."""
    columns = ["external_id", "text", "response_position"]
    fields = fields_for(columns)
    record = "0b6f2f7e-8d3c-4a53-9a0e-3f1d2c4b5a69"
    first = dict.fromkeys(fields) | {
        "text": "Keep a register",
        "reply_position": "rejected",
        "record_ends": False,
        "recommendation_id": record,
    }
    last = first | {"reply_position": "accepted", "record_ends": True}
    rows = [tuple(row[f] for f in fields) for row in (first, last)]
    content = b"".join(csv_chunks(rows, columns)).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(content, newline="")))
    assert [r[0] for r in read[1:]] == [record, record]
    referenced = first | {"reference": "NPM-2019-0007"}
    assert cell_values(referenced, columns)[0] == "NPM-2019-0007"
