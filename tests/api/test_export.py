"""`GET /api/v1/recommendations/export`: the list the filters select, every row, as CSV or
XLSX in the import's columns, streamed with the right headers; an authority liaison's
export holds only its authority's issued recommendations and the publishable columns."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from domain.values import Role
from projections.engine.catchup import wait_until_caught_up
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.spreadsheet_columns import COLUMN_NAMES as COLUMNS
from tests.api.conftest import bearer, make_user
from tests.builders import Commander
from tests.export_world import (
    DRAFT_TEXT,
    OTHER_TEXT,
    SECRET_METHOD,
    SECRET_STAFF,
    SECRET_THEME,
    World,
    build_world,
)

INTERNAL_COLUMNS = {
    "themes",
    "keywords",
    "vulnerable_groups",
    "detention_practices",
    "problem_natures",
    "staff",
    "non_implementation_reason",
    "verification_method",
}


@pytest.fixture
def world(run: Commander, runtime: Runtime) -> World:
    built = build_world(run)
    last = runtime.app.recorder.max_notification_id()
    assert last is not None
    settings = runtime.settings
    wait_until_caught_up(runtime.database_url, settings.database_schema, last, timeout=30)
    return built


def _csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, as spreadsheets read it"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_csv_export_of_a_filtered_list(client: TestClient, admin_token: str, world: World) -> None:
    response = client.get(
        f"/api/v1/recommendations/export?format=csv&authority_id={world.justice}",
        headers=bearer(admin_token),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(
        'attachment; filename="recommendations-'
    )
    assert response.headers["content-disposition"].endswith('.csv"')
    assert response.headers["x-content-type-options"] == "nosniff"
    header = response.content.decode("utf-8-sig").split("\r\n", 1)[0]
    assert header.split(",") == list(COLUMNS)
    rows = _csv(response.content)
    # The list's own order (newest first) and its filter: no other authority's row.
    listed = client.get(
        f"/api/v1/recommendations?authority_id={world.justice}", headers=bearer(admin_token)
    ).json()["items"]
    # one row per reply, a record's rows next to each other
    texts = [r["text"] for i, r in enumerate(rows) if i == 0 or rows[i - 1]["text"] != r["text"]]
    assert texts == [item["text"] for item in listed]
    assert OTHER_TEXT not in response.text
    by_text = {r["text"]: r for r in rows}  # a record's last row
    answered = by_text['Keep a register of every use of restraint, "with times",\nand the reason']
    first = next(r for r in rows if r["text"] == answered["text"])
    assert (first["response_received_on"], first["response_position"]) == (
        "2024-03-20",
        "rejected",
    )
    assert first["response_text"] == "Not now."
    assert first["agreed_implementation_date"] == ""
    assert answered == {
        **answered,
        "external_id": "SPT-2024-17",
        "kind": "visit",
        "authority": "Ministry of Justice",
        "place": "Nordhafen Prison",
        "issued_on": "2024-03-01",
        "themes": f"restraint; {SECRET_THEME}",
        "staff": f"{SECRET_STAFF}; B. Okafor",
        # the last row of two: the second reply
        "response_received_on": "2024-04-10",
        "response_position": "accepted",
        "response_text": "Nous introduirons le registre; « bientôt ».",
        "agreed_implementation_date": "2024-09-30",
        "implementation": "",
        "verified": "false",
    }
    assessed = by_text["Train staff in de-escalation"]
    assert (
        assessed["implementation"],
        assessed["non_implementation_reason"],
        assessed["verified"],
        assessed["verification_method"],
        assessed["assessed_on"],
    ) == ("partially_implemented", "budget", "true", SECRET_METHOD, "2024-05-02")
    # A record made here has no external id: its reference stands in.
    assert by_text["Install call buttons in every cell"]["external_id"].startswith("NPM-2025-")
    assert by_text[DRAFT_TEXT]["issued_on"] == ""

    filtered = client.get(
        "/api/v1/recommendations/export?format=csv&kind=thematic", headers=bearer(admin_token)
    )
    assert [r["text"] for r in _csv(filtered.content)] == ["Train staff in de-escalation"]


def test_xlsx_export_has_typed_cells_and_a_frozen_header(
    client: TestClient, admin_token: str, world: World
) -> None:
    response = client.get(
        "/api/v1/recommendations/export?format=xlsx&year=2024", headers=bearer(admin_token)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"].endswith('.xlsx"')
    assert response.headers["x-content-type-options"] == "nosniff"
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    records = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    restraint = 'Keep a register of every use of restraint, "with times",\nand the reason'
    # one row per reply: the restraint record's two, one after the other
    assert sorted(r["text"] for r in records) == sorted([OTHER_TEXT, restraint, restraint])
    answered = [r for r in records if r["external_id"] == "SPT-2024-17"][-1]
    # dates are date cells (openpyxl reads them back as datetimes), verified a boolean
    assert answered["issued_on"].date() == date(2024, 3, 1)
    assert answered["response_received_on"].date() == date(2024, 4, 10)
    assert answered["verified"] is False
    assert answered["authority"] == "Ministry of Justice"


def test_a_liaisons_export_is_its_authoritys_issued_records_and_publishable_columns(
    client: TestClient, executor: Executor, world: World
) -> None:
    token = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=world.justice)
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/api/v1/recommendations/export?format={fmt}", headers=bearer(token))
        assert response.status_code == 200, response.text
        if fmt == "csv":
            rows = _csv(response.content)
            columns = list(rows[0])
            texts = {r["text"] for r in rows}
            everything = response.content.decode("utf-8-sig")
        else:
            sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
            table = list(sheet.iter_rows(values_only=True))
            columns = list(table[0])
            texts = {row[columns.index("text")] for row in table[1:]}
            everything = repr(table)
        assert not INTERNAL_COLUMNS & set(columns), fmt
        assert {"text", "authority", "response_text", "implementation"} <= set(columns)
        assert texts == {
            'Keep a register of every use of restraint, "with times",\nand the reason',
            "Train staff in de-escalation",
            "Install call buttons in every cell",
        }, fmt
        for secret in (SECRET_STAFF, SECRET_THEME, SECRET_METHOD, DRAFT_TEXT, OTHER_TEXT):
            assert secret not in everything, (fmt, secret)
    # Another authority's list, drafts, or a tag filter: an empty file, not an error.
    for query in (f"authority_id={world.health}", "status=draft", "theme=restraint"):
        empty = client.get(f"/api/v1/recommendations/export?{query}", headers=bearer(token))
        assert empty.status_code == 200
        assert _csv(empty.content) == [], query


def test_a_bad_format_or_filter_is_refused_naming_the_field(
    client: TestClient, admin_token: str
) -> None:
    bad = client.get("/api/v1/recommendations/export?format=pdf", headers=bearer(admin_token))
    assert bad.status_code == 422
    assert bad.json()["field"] == "format"
    wrong = client.get(
        "/api/v1/recommendations/export?authority_id=nope", headers=bearer(admin_token)
    )
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "authority_id"
    assert client.get("/api/v1/recommendations/export").status_code == 401
