"""The export bar on the list pages, in a real browser: a caseworker filters the
recommendations list, clicks the export buttons and gets the filtered list as CSV and as
XLSX in the import's columns; a place's page exports that place's recommendations.
Screenshots go to RECTRACK_SCREENSHOTS (or the test's folder) for a person to look at."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from domain.values import Role
from services.application.executor import Executor
from services.spreadsheet_columns import COLUMN_NAMES as COLUMNS
from tests.api.conftest import make_user
from tests.builders import Commander, views_caught_up
from tests.e2e.test_web_ui import browser, served, sign_in  # noqa: F401 (fixtures)
from tests.export_world import OTHER_TEXT, build_world

pytestmark = pytest.mark.e2e

RESTRAINT = 'Keep a register of every use of restraint, "with times",\nand the reason'


def test_the_export_buttons_download_the_filtered_list(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    run: Commander,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    world = build_world(run)
    views_caught_up(database_url, schema, timeout=120)
    shots = Path(os.environ.get("RECTRACK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    carla = make_user(executor, "carla", Role.CASEWORKER)
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, served, carla)

    page.goto(f"{served}/ui/#/recommendations?authority_id={world.justice}&year=2024")
    page.get_by_role("heading", name="Recommendations").wait_for()
    page.get_by_text("Export this list:").wait_for()
    page.screenshot(path=str(shots / "list-export.png"))

    with page.expect_download() as downloading:
        page.get_by_role("button", name="CSV").click()
    saved = downloading.value
    assert saved.suggested_filename.startswith("recommendations-")
    assert saved.suggested_filename.endswith(".csv")
    text = Path(saved.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == list(COLUMNS)
    # Only what the list shows: the Ministry of Justice's, made in 2024.
    # (one row per reply: the restraint record has two)
    assert [r["text"] for r in rows] == [RESTRAINT, RESTRAINT]
    assert rows[0]["external_id"] == "SPT-2024-17"
    assert rows[0]["authority"] == "Ministry of Justice"
    page.get_by_text(f"{saved.suggested_filename} is downloaded.").wait_for()

    with page.expect_download() as downloading:
        page.get_by_role("button", name="Excel (XLSX)").click()
    book = load_workbook(io.BytesIO(Path(downloading.value.path()).read_bytes()))
    table = list(book.worksheets[0].iter_rows(values_only=True))
    assert list(table[0]) == list(COLUMNS)
    assert [row[COLUMNS.index("text")] for row in table[1:]] == [RESTRAINT, RESTRAINT]

    # A place's page exports that place's recommendations, every one of them.
    page.goto(f"{served}/ui/#/places/{world.prison}")
    page.get_by_role("heading", name="Nordhafen Prison").wait_for()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="CSV").click()
    text = Path(downloading.value.path()).read_text(encoding="utf-8-sig")
    texts = {r["text"] for r in csv.DictReader(io.StringIO(text, newline=""))}
    assert texts == {RESTRAINT, "Install call buttons in every cell"}
    assert OTHER_TEXT not in text
    page.get_by_text("Export this list:").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "place-export.png"))
    assert not errors, errors
