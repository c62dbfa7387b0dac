"""Evidence documents in a real browser: on a recommendation's page a caseworker reads the
upload rules, attaches a PDF to the authority's response through the file input, sees it
listed by name, type, size, what it supports and who attached it when, and downloads the
very bytes; a file whose contents are not an allowed type is refused with a sentence naming
the rule, and nothing is appended. An authority's liaison sees only the documents of its
authority's responses (the NPM's staff unnamed), attaches to a response only, and
downloads. Screenshots are kept for a person to look at."""

from __future__ import annotations

import hashlib
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.recommendation import Recommendation
from domain.user import user_id_for
from domain.values import FollowUpKind, Role
from services.adapters.documents import DocumentStore
from services.application.commands.recommendations import AttachEvidence, RecordFollowUp
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.api.conftest import make_user
from tests.builders import Commander, authority, issued_recommendation, reply
from tests.e2e.test_web_ui import browser, event_names, medium_date, served, sign_in  # noqa: F401

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("RECTRACK_SCREENSHOTS", "/tmp/rectrack-screenshots"))
PDF = b"%PDF-1.4\n% an action plan\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
RECENT = date.today() - timedelta(days=20)


def answered(run: Commander, authority_id: Any) -> Any:
    rec = issued_recommendation(run, authority_id, RECENT)
    reply(run, rec, RECENT + timedelta(days=5), text="We agree; our plan follows.")
    return rec


def test_a_caseworker_attaches_lists_and_downloads_evidence(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    run: Commander,
    app: Rectrack,
    tmp_path: Path,
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    rec = answered(run, authority(run))
    plan = tmp_path / "Plan d'action été.pdf"
    plan.write_bytes(PDF)

    page = browser.new_page(viewport={"width": 1200, "height": 1400}, accept_downloads=True)
    sign_in(page, served, carla)
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.get_by_role("heading", name="Evidence documents").wait_for()
    rules = page.locator("#evidence-rules").inner_text()
    assert "Word (DOCX), Excel (XLSX) and OpenDocument text (ODT), up to 20 MB each" in rules
    attaching = page.locator("#evidence-form")
    assert attaching.get_by_label("Evidence for").inner_text().startswith("Response 1, received")
    attaching.get_by_label("Document").set_input_files(str(plan))
    attaching.get_by_role("button", name="Attach the document").click()
    page.get_by_text("Plan d'action été.pdf is attached.").wait_for()

    row = page.locator("table.evidence tbody tr").first
    cells = [c.inner_text().strip() for c in row.locator("td").all()]
    assert cells[:5] == [
        "Plan d'action été.pdf",
        "PDF document",
        f"{len(PDF)} bytes",
        f"response 1 (received {medium_date((RECENT + timedelta(days=5)).isoformat())})",
        f"by carla on {medium_date(date.today().isoformat())}",
    ]
    (document,) = app.get(Recommendation, rec).evidence
    assert document["sha256"] == hashlib.sha256(PDF).hexdigest()

    with page.expect_download() as downloading:
        row.get_by_role("button", name="Download").click()
    download = downloading.value
    assert download.suggested_filename == "Plan d'action été.pdf"
    saved = tmp_path / "saved.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF

    # a text file named .pdf: the server judges the bytes, and says which rule it broke
    before = event_names(app, rec)
    fake = tmp_path / "notes.pdf"
    fake.write_text("just some notes")
    page.get_by_text("Attach a document").click()
    attaching = page.locator("#evidence-form")
    attaching.get_by_label("Document").set_input_files(str(fake))
    attaching.get_by_role("button", name="Attach the document").click()
    refusal = attaching.get_by_role("alert")
    refusal.wait_for()
    assert refusal.inner_text() == (
        "notes.pdf was not attached: its contents are not one of the accepted types "
        "(PDF, PNG, JPEG, GIF, WebP, DOCX, XLSX, ODT)."
    )
    assert event_names(app, rec) == before
    # over the size limit: said at once, before the file is sent
    big = tmp_path / "scan.pdf"
    big.write_bytes(PDF + b"0" * (20 * 1024 * 1024))
    attaching.get_by_label("Document").set_input_files(str(big))
    attaching.get_by_role("button", name="Attach the document").click()
    attaching.get_by_text(
        "scan.pdf was not attached: it is larger than the limit of 20 MB."
    ).wait_for()
    assert event_names(app, rec) == before
    attaching.get_by_label("Document").set_input_files(str(fake))
    attaching.get_by_role("button", name="Attach the document").click()
    refusal.get_by_text("notes.pdf was not attached").wait_for()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "evidence-caseworker.png"), full_page=True)

    # the history says it as a sentence, by name
    history = page.locator("ol.timeline").inner_text()
    assert "Carla attached \u201cPlan d'action été.pdf\u201d as evidence for the response 1." in (
        history
    )
    page.close()


def test_a_liaison_sees_and_attaches_to_its_own_authoritys_responses_only(
    served: str,  # noqa: F811
    browser: Any,  # noqa: F811
    executor: Executor,
    run: Commander,
    app: Rectrack,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    own = authority(run, name="Ministry of Justice")
    make_user(executor, "carla", Role.CASEWORKER)
    lia = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=own)
    rec = answered(run, own)
    met_on = RECENT + timedelta(days=6)
    run(RecordFollowUp(kind=FollowUpKind.MEETING, summary="Met the director"), rec, on=met_on)
    # the NPM's own documents: a photo for the response, notes for the follow-up
    documents = DocumentStore(database_url, schema)
    staff = Caller(str(user_id_for("carla")), Role.CASEWORKER.value)
    for content, name, media_type, supports in (
        (PNG, "yard.png", "image/png", "response"),
        (PDF, "meeting notes.pdf", "application/pdf", "follow_up"),
    ):
        sha = documents.put(content, media_type)
        body = {"sha256": sha, "filename": name, "media_type": media_type, "size": len(content)}
        attach = AttachEvidence.model_validate({**body, "supports": supports, "index": 0})
        run(attach, rec, caller=staff, on=date.today())
    letter = tmp_path / "reply-letter.pdf"
    letter.write_bytes(PDF + b"% signed\n")

    page = browser.new_page(viewport={"width": 1200, "height": 1200}, accept_downloads=True)
    sign_in(page, served, lia)
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.get_by_role("heading", name="Evidence documents").wait_for()
    page.get_by_text("Attach a document").click()  # folded while documents are listed
    attaching = page.locator("#evidence-form")
    choices = attaching.get_by_label("Evidence for").locator("option").all_text_contents()
    assert len(choices) == 1 and choices[0].startswith("Response 1, received")
    attaching.get_by_label("Document").set_input_files(str(letter))
    attaching.get_by_role("button", name="Attach the document").click()
    page.get_by_text("reply-letter.pdf is attached.").wait_for()

    rows = page.locator("table.evidence tbody tr")
    listed = [[c.inner_text().strip() for c in r.locator("td").all()][:5] for r in rows.all()]
    today = medium_date(date.today().isoformat())
    assert [(r[0], r[1], r[4]) for r in listed] == [
        ("yard.png", "PNG image", f"by the NPM on {today}"),
        ("reply-letter.pdf", "PDF document", f"by lia on {today}"),
    ]
    assert "meeting notes.pdf" not in page.locator("main").inner_text()
    last = list(app.events.get(rec))[-1]
    assert last.meta.actor_role == "authority_liaison" and last.document["supports"] == "response"

    with page.expect_download() as downloading:
        rows.first.get_by_role("button", name="Download").click()
    saved = tmp_path / "yard.png"
    downloading.value.save_as(saved)
    assert saved.read_bytes() == PNG
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "evidence-liaison.png"), full_page=True)

    # in French, the same list reads as French sentences
    page.locator("#language").select_option(label="Français")
    page.get_by_role("heading", name="Pièces justificatives").wait_for()
    assert "Image PNG" in page.locator("table.evidence").inner_text()
    page.screenshot(path=str(SHOTS / "evidence-liaison-fr.png"), full_page=False)
    page.close()
