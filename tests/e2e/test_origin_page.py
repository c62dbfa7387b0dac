"""The recommendation page of a UPR recommendation imported as a historic record, in a
real browser: its origin as sentences (source, cycle and session, the recommending
states, the SDGs, its id in the source), where it stood when it was imported (historic,
not overdue), its replies with and without a position, and a form that changes the
origin; then the same page in French. Screenshots are kept for a person to look at."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from domain.user import user_id_for
from domain.values import Position, RecommendationKind, Role
from services.application.commands.recommendations import (
    DraftRecommendation,
    PublishRecommendation,
    RecordResponse,
)
from services.application.executor import Caller, Executor
from tests.api.conftest import make_user
from tests.builders import Commander, authority
from tests.e2e.test_web_ui import browser, served, sign_in  # noqa: F401 (fixtures)

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("RECTRACK_SCREENSHOTS", "/tmp/rectrack-screenshots"))


def test_the_origin_and_a_historic_record_read_as_sentences(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
) -> None:
    token = make_user(executor, "carla", Role.CASEWORKER)
    run = Commander(executor, Caller(str(user_id_for("carla")), Role.CASEWORKER.value))
    ministry = authority(run, name="Ministry of Foreign Affairs")
    today = date.today()
    issued_on = date(2023, 1, 27)
    historic = run(
        DraftRecommendation(
            kind=RecommendationKind.ANNUAL_REPORT,
            text="Ratify the Optional Protocol to the Convention against Torture",
            authority_id=ministry,
            issued_on=issued_on,
            source="upr",  # type: ignore[arg-type]
            recommending_bodies=["Denmark", "Costa Rica", "Chile"],
            cycle="4th",
            session="43rd session",
            sdgs=["16", "16.a"],
            external_id="A/HRC/52/8 para 45.12",
            historic_before=today,
        ),
        on=today,
    ).aggregate_id
    run(RecordResponse(received_on=date(2023, 3, 1), text="Under consideration."), historic)
    supported = RecordResponse(
        received_on=date(2023, 6, 1),
        position=Position.PARTIALLY_ACCEPTED,
        text="Supported in part.",
        agreed_implementation_date=date(2023, 12, 31),  # long before the import
    )
    run(supported, historic)

    page = browser.new_page(viewport={"width": 1200, "height": 1500})
    sign_in(page, served, token)
    page.goto(f"{served}/ui/#/recommendations/{historic}")
    page.get_by_role("heading", name="Origin", exact=True).wait_for()
    origin = page.locator(".origin").inner_text()
    for said in (
        "Source: Universal Periodic Review (UPR).",
        "Cycle: 4th.",
        "Session: 43rd session.",
        "Recommended by Denmark, Costa Rica, and Chile.",
        "Sustainable Development Goals: 16, 16.a.",
        "Its id in the source: A/HRC/52/8 para 45.12.",
        "A historic record, imported on",
        "its implementation was agreed for Dec 31, 2023.",
        "No reminder or escalation is sent for dates before the import.",
    ):
        assert said in origin, (said, origin)
    status = page.locator("dl.facts dd").first.inner_text()
    assert "historic record" in status and "overdue" not in status
    responses = page.locator(".card", has_text="received").all_inner_texts()
    assert any(r.startswith("no position yet") for r in responses), responses
    assert any(r.startswith("partially accepted") for r in responses), responses
    assert page.get_by_role("heading", name="Change the origin").count() == 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "origin.png"), full_page=True)

    # the form changes the origin (only what is given), and the page says so
    form = page.locator("form[data-action='record_origin']")
    form.get_by_label("Cycle").fill("3rd")
    form.get_by_label("SDG goals and targets (e.g. 16; 16.3)").fill("16.3; 5")
    form.get_by_role("button", name="Change the origin").click()
    page.get_by_text("Change the origin: recorded.").wait_for()
    origin = page.locator(".origin").inner_text()
    assert "Cycle: 3rd." in origin and "Sustainable Development Goals: 5, 16.3." in origin
    assert "Recommended by Denmark, Costa Rica, and Chile." in origin

    # the list filters by source and by recommending body, and says which is historic
    page.goto(f"{served}/ui/#/recommendations?source=upr&body=chile")
    row = page.locator("tbody tr", has_text="Ratify the Optional Protocol")
    row.wait_for()
    assert "Universal Periodic Review (UPR) · Denmark, Costa Rica, Chile" in row.inner_text()
    assert "historic record" in row.inner_text()
    source = page.locator("select[name=source]")
    assert source.input_value() == "upr"
    assert "Universal Periodic Review (UPR)" in source.inner_text()
    page.screenshot(path=str(SHOTS / "origin-list.png"))
    page.goto(f"{served}/ui/#/recommendations?source=cpt")
    page.get_by_text("No recommendation matches.").wait_for()
    page.goto(f"{served}/ui/#/stats")
    page.get_by_role("heading", name="Per recommending body").wait_for()
    bodies = page.locator("table", has_text="Recommended by").inner_text()
    assert "Costa Rica" in bodies and "Denmark" in bodies
    # the public register says where a published recommendation comes from
    run(PublishRecommendation(), historic)
    page.goto(f"{served}/register")
    card = page.locator("article", has_text="Ratify the Optional Protocol")
    card.wait_for()
    published = card.inner_text()
    assert "Source: Universal Periodic Review (UPR)." in published, published
    assert "Recommended by Denmark, Costa Rica, and Chile." in published
    assert "no position yet" in published and "null" not in published
    page.screenshot(path=str(SHOTS / "origin-register.png"))

    page.goto(f"{served}/ui/#/recommendations/{historic}")
    page.get_by_role("heading", name="Origin", exact=True).wait_for()

    page.locator("#language").select_option(label="Français")
    page.get_by_role("heading", name="Origine", exact=True).wait_for()
    french = page.locator(".origin").inner_text()
    assert "Source : Examen périodique universel (EPU)." in french
    assert "Recommandée par Denmark, Costa Rica et Chile." in french
    assert "Dossier historique, importé le" in french
    page.screenshot(path=str(SHOTS / "origin-fr.png"), full_page=True)
