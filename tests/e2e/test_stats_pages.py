"""The statistics, authority and place pages in a real browser: a compliance officer reads
the figures (a sentence, charts drawn by the vendored Chart.js under the app's CSP, each
with its table, the same numbers as the API), downloads the annual pack from the button,
and opens an authority's and a place's page. Screenshots go to RECTRACK_SCREENSHOTS (or
the test's folder) for a person to look at."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import psycopg
import pytest
from openpyxl import load_workbook

from domain.values import Role
from projections.views.statistics import Filters, statistics
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import make_user
from tests.builders import Commander, views_caught_up
from tests.e2e.test_web_ui import (  # noqa: F401 (fixtures)
    browser,
    served,
    sign_in,
    until_true,
)
from tests.projections.test_statistics import statistics_store

pytestmark = pytest.mark.e2e

CHART_DRAWN = "Boolean(window.Chart && Chart.getChart(document.querySelector('canvas')))"


def test_statistics_authority_and_place_pages(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    app: Rectrack,
    executor: Executor,
    run: Commander,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    built = statistics_store(app, run)
    views_caught_up(database_url, schema)
    with psycopg.connect(database_url) as conn:
        totals = statistics(conn, schema, Filters(year_from=2020, year_to=2024))["totals"]
    shots = Path(os.environ.get("RECTRACK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    officer = make_user(executor, "hedda", Role.COMPLIANCE)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    sign_in(page, served, officer)

    page.goto(f"{served}/ui/#/stats?year_from=2020&year_to=2024")
    page.get_by_role("heading", name="Reply timeliness").wait_for()
    summary = page.locator("#summary").inner_text()
    assert f"{totals['issued']} recommendations were issued from 2020 to 2024" in summary
    assert f"Acceptance rate {totals['acceptance_rate']} %" in summary
    # the charts are drawn (Chart.js loaded from the app itself, under script-src 'self')
    until_true(page, "document.querySelectorAll('canvas').length >= 5 && Boolean(window.Chart)")
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas')].filter(c => Chart.getChart(c)).length"
    )
    assert drawn == page.locator("canvas").count() >= 5
    timeliness = page.locator("section.chart-pair").first.locator("table")
    assert timeliness.locator("tr", has_text="Late").inner_text().split()[-1] == str(
        totals["replied_late"]
    )
    page.screenshot(path=str(shots / "stats.png"), full_page=True)

    with page.expect_download() as downloading:
        page.locator("#pack input[name=year]").fill("2024")
        page.get_by_role("button", name="Download spreadsheet (XLSX)").click()
    pack = downloading.value
    assert pack.suggested_filename == "recommendations-2024.xlsx"
    book = load_workbook(io.BytesIO(Path(pack.path()).read_bytes()))
    assert "By authority" in book.sheetnames
    page.get_by_text("The 2024 pack (XLSX) is downloaded.").wait_for()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download printable page (HTML)").click()
    printable = browser.new_page(viewport={"width": 1123, "height": 794})  # A4 landscape
    # the saved download has no .html name for file:// to go by: give the browser its text
    printable.set_content(Path(downloading.value.path()).read_text())
    printable.get_by_role("heading", name="Reply timeliness").wait_for()
    assert printable.locator("svg").count() == 4
    bars = printable.locator("svg").nth(2).locator("rect")
    assert bars.count() == 3  # on time, late, not replied
    printable.screenshot(path=str(shots / "annual-pack.png"), full_page=True)
    printable.close()

    page.get_by_role("link", name="Ministry of Justice").first.click()
    page.get_by_role("heading", name="Ministry of Justice").wait_for()
    page.get_by_role("heading", name="Over the years").wait_for()
    authority_text = page.locator("main").inner_text()
    assert "Still open" in authority_text and "The authority replied on time to" in authority_text
    until_true(page, CHART_DRAWN)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "authority.png"))  # what a reader sees first

    page.get_by_role("link", name="Prison A").click()
    page.get_by_role("heading", name="Prison A").wait_for()
    text = page.locator("main").inner_text()
    assert "Still open before the next visit" in text and "Answers to Ministry of Justice" in text
    until_true(page, CHART_DRAWN)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(shots / "place.png"))
    assert not [m for m in refused if "Content Security Policy" in m], refused
    assert built["ids"]


def test_a_liaison_reads_its_authoritys_statistics(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    app: Rectrack,
    executor: Executor,
    run: Commander,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    built = statistics_store(app, run)
    ministry = built["ministry"]
    views_caught_up(database_url, schema)
    with psycopg.connect(database_url) as conn:
        mine = statistics(conn, schema, Filters(authority_id=ministry))["totals"]
        everyone = statistics(conn, schema, Filters())["totals"]
        bodies = statistics(conn, schema, Filters(authority_id=ministry), by="recommending_body")[
            "groups"
        ]
    assert 0 < mine["issued"] < everyone["issued"]
    shots = Path(os.environ.get("RECTRACK_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    liaison = make_user(executor, "liv", Role.AUTHORITY_LIAISON, authority_id=ministry)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    sign_in(page, served, liaison)

    # The nav offers the statistics to a liaison (and still not the staff's inbox).
    assert page.locator("nav a[data-nav=inbox]").is_hidden()
    page.locator("nav a[data-nav=stats]").click()
    page.get_by_role("heading", name="Statistics for Ministry of Justice").wait_for()
    until_true(page, "document.querySelectorAll('canvas').length >= 4 && Boolean(window.Chart)")
    text = page.locator("main").inner_text()
    # its own figures, the same as the API's for its authority; nothing of the other's
    assert f"{mine['issued']} recommendations were issued in all years" in text
    assert f"Acceptance rate {mine['acceptance_rate']} %" in text
    assert f"The authority replied on time to {mine['replied_on_time']}, late to" in text
    assert "Ministry of Health" not in text
    timeliness = page.locator("section.chart-pair").first.locator("table")
    assert timeliness.locator("tr", has_text="Late").inner_text().split()[-1] == str(
        mine["replied_late"]
    )
    # what is internal is not offered: themes (tags), reasons, follow-ups, escalations
    for internal in (
        "Acceptance and implementation by theme",
        "Escalations by level",
        "Follow-up actions",
        "Not implemented, and why",
    ):
        assert internal not in text, internal
    assert page.locator("#stats-filters [name=theme]").count() == 0
    assert page.locator("#stats-filters [name=authority_id]").count() == 0
    body_table = page.get_by_role("heading", name="Per recommending body").locator(
        "xpath=following-sibling::table[1]"
    )
    assert bodies
    for body in bodies[:3]:
        row = body_table.locator("tr", has=page.get_by_role("cell", name=body["group"], exact=True))
        assert row.locator("td").nth(1).inner_text() == str(body["issued"]), body["group"]
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas')].filter(c => Chart.getChart(c)).length"
    )
    assert drawn == page.locator("canvas").count() == 4
    page.screenshot(path=str(shots / "stats-liaison.png"), full_page=True)

    # A filter keeps to its authority: the prison's figures (its only place type).
    page.locator("#stats-filters select[name=place_type]").select_option("prison")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**place_type=prison**")
    page.get_by_role("heading", name="Statistics for Ministry of Justice").wait_for()
    with psycopg.connect(database_url) as conn:
        prison = statistics(conn, schema, Filters(authority_id=ministry, place_type="prison"))
    page.get_by_text(f"{prison['totals']['issued']} recommendations were issued").wait_for()

    # Its annual pack: its authority's published tables only.
    with page.expect_download() as downloading:
        page.locator("#pack input[name=year]").fill("2024")
        page.get_by_role("button", name="Download spreadsheet (XLSX)").click()
    book = load_workbook(io.BytesIO(Path(downloading.value.path()).read_bytes()))
    assert "By theme" not in book.sheetnames and "Escalations" not in book.sheetnames
    names = [row[0] for row in book["By authority"].iter_rows(min_row=4, values_only=True)]
    assert names == ["Ministry of Justice"]
    assert not [m for m in refused if "Content Security Policy" in m], refused
