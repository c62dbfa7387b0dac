"""The annual report pack, opened and read back: the XLSX with openpyxl, the PDF's text
with pypdf, the HTML's tables and charts; its numbers equal GET /stats/figures. The same
pack from `rectrack report annual`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from projections.engine.catchup import log_position, wait_until_caught_up
from services.application.runtime import Runtime
from services.application.store import Rectrack
from services.cli import main
from services.reporting.pack import BREAKDOWN_FIGURES
from tests.api.conftest import bearer
from tests.builders import Commander
from tests.projections.test_statistics import statistics_store

YEAR = 2024


def _caught_up(runtime: Runtime) -> None:
    schema = runtime.settings.database_schema
    with psycopg.connect(runtime.database_url) as conn:
        last = log_position(conn, schema)
    wait_until_caught_up(runtime.database_url, schema, last, timeout=180)


def _fonts_embedded(reader: PdfReader) -> bool:
    fonts: list[Any] = []
    for page in reader.pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.append(font.get_object())
    descriptors = [f.get("/FontDescriptor") for f in fonts]
    for f in fonts:
        for child in f.get("/DescendantFonts") or []:
            descriptors.append(child.get_object().get("/FontDescriptor"))
    files = [d.get_object() for d in descriptors if d is not None]
    return bool(files) and all(
        any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in files
    )


def test_the_pack_in_every_format_equals_the_api(
    app: Rectrack,
    run: Commander,
    runtime: Runtime,
    client: TestClient,
    admin_token: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statistics_store(app, run)
    _caught_up(runtime)
    headers = bearer(admin_token)
    api = client.get(
        f"/api/v1/stats/figures?year_from={YEAR}&year_to={YEAR}&by=authority", headers=headers
    )
    assert api.status_code == 200, api.text
    stats = api.json()
    assert stats["totals"]["issued"] > 10
    by_name = {g["name"]: g for g in stats["groups"]}
    assert set(by_name) == {"Ministry of Justice", "Ministry of Health"}

    got = client.get(f"/api/v1/stats/annual-report?year={YEAR}&format=xlsx", headers=headers)
    assert got.status_code == 200, got.text
    assert f"recommendations-{YEAR}.xlsx" in got.headers["content-disposition"]
    book = load_workbook(io.BytesIO(got.content))
    assert "Summary" in book.sheetnames and "By authority" in book.sheetnames
    sheet = book["By authority"]
    assert sheet.freeze_panes == "B4"
    header = [c.value for c in sheet[3]]
    assert header[0] == "Authority" and len(header) == 1 + len(BREAKDOWN_FIGURES)
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=4) if row[0].value}
    assert set(rows) == set(by_name)
    for name, row in rows.items():
        for key, cell in zip(BREAKDOWN_FIGURES, row[1:], strict=True):
            assert cell.value == by_name[name][key], (name, key)
            if cell.value is not None:
                assert cell.data_type == "n", (name, key)
    summary = {r[0].value: r[1].value for r in book["Summary"].iter_rows(min_row=4)}
    assert summary["Issued"] == stats["totals"]["issued"]
    assert summary["Rejected"] == stats["totals"]["rejected"]
    assert summary["Acceptance rate"] == stats["totals"]["acceptance_rate"]
    escalations = {str(r[0].value): r[1].value for r in book["Escalations"].iter_rows(min_row=4)}
    assert escalations == stats["escalations"]
    follow_ups = {r[0].value: r[1].value for r in book["Follow-up actions"].iter_rows(min_row=4)}
    assert sum(follow_ups.values()) == sum(stats["follow_ups"].values())
    for body in ("spt", "cat", "cpt"):  # raised with an international body: its acronym
        if body in stats["follow_ups"]:
            assert follow_ups[f"with the {body.upper()}"] == stats["follow_ups"][body]
    assert not {"spt", "cat", "cpt"} & set(follow_ups)
    # Per recommending body: a UPR recommendation made by two states counts under each.
    bodies = client.get(
        f"/api/v1/stats/figures?year_from={YEAR}&year_to={YEAR}&by=recommending_body",
        headers=headers,
    ).json()["groups"]
    by_body = {g["name"]: g for g in bodies}
    assert {"CPT", "France"} <= set(by_body)
    body_sheet = book["By recommending body"]
    assert body_sheet.freeze_panes == "B4" and body_sheet["A3"].value == "Recommending body"
    body_rows = {row[0].value: row for row in body_sheet.iter_rows(min_row=4) if row[0].value}
    assert set(body_rows) == set(by_body)
    for name, row in body_rows.items():
        for key, cell in zip(BREAKDOWN_FIGURES, row[1:], strict=True):
            assert cell.value == by_body[name][key], (name, key)

    page = client.get(f"/api/v1/stats/annual-report?year={YEAR}&format=html", headers=headers)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 4
    assert f"{stats['totals']['issued']:,}" in page.text
    assert "<h2>By recommending body</h2>" in page.text
    cpt = by_body["CPT"]
    assert f'<td>CPT</td><td class="num">{cpt["issued"]:,}</td>' in page.text

    pdf = client.get(f"/api/v1/stats/annual-report?year={YEAR}&format=pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert f"Recommendations issued in {YEAR}" in text
    assert "Ministry of Health" in text and "Implementation rate over the years" in text
    justice = by_name["Ministry of Justice"]
    words = " ".join(text.split())  # table cells wrap over lines in the PDF
    assert f"Ministry of Justice {justice['issued']:,} {justice['replied_on_time']:,}" in words
    assert f"Acceptance rate {stats['totals']['acceptance_rate']} %" in words
    assert "By recommending body" in words
    assert f"CPT {cpt['issued']:,} {cpt['replied_on_time']:,} {cpt['replied_late']:,}" in words
    assert _fonts_embedded(reader)

    for bad in ("year=1800&format=xlsx", f"year={YEAR}&format=docx", "format=pdf"):
        refused = client.get(f"/api/v1/stats/annual-report?{bad}", headers=headers)
        assert refused.status_code == 422, bad
    swapped = client.get("/api/v1/stats/figures?year_from=2025&year_to=2024", headers=headers)
    assert swapped.status_code == 422 and "year_from" in swapped.text

    monkeypatch.setenv("RECTRACK_DATABASE_URL", runtime.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", runtime.settings.database_schema)
    written = tmp_path / "pack.xlsx"
    assert main(["report", "annual", "--year", str(YEAR), "--output", str(written)]) == 0
    from_cli = load_workbook(written)
    assert [[c.value for c in r] for r in from_cli["By authority"].iter_rows()] == [
        [c.value for c in r] for r in sheet.iter_rows()
    ]
