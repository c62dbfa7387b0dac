"""Letters written by the reply obligation on the time-skipping server: the transmittal
when the report is sent, the reminder, the missed deadline and each ladder level, each
once, in the authority's language, each document stored under the SHA-256 its
LetterGenerated event holds; and the letter activity redelivered after a crash between
storing the documents and recording the event stores nothing twice and records once."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from domain.letters import LetterKind
from domain.recommendation import Recommendation
from domain.values import Language, RecommendationKind
from services.adapters.documents import DocumentStore, sha256_of
from services.application.commands.registry import RecordAuthorityContact
from services.application.executor import Executor
from tests.builders import Commander, authority, issued_recommendation
from tests.workflows.conftest import Deadlines
from workflows.activities import DeadlineActivities
from workflows.messages import LetterRequest
from workflows.obligation import ReplyObligationWorkflow

D = date


def letter_events(deadlines: Deadlines, aggregate_id: Any) -> list[Any]:
    return [e for e in deadlines.app.events.get(aggregate_id) if hasattr(e, "letter")]


def pdf_text(store: DocumentStore, sha256: str) -> str:
    doc = store.get(sha256)
    assert doc is not None and sha256_of(doc.content) == sha256
    return " ".join(PdfReader(io.BytesIO(doc.content)).pages[0].extract_text().split())


async def test_each_step_writes_its_letter_once_in_the_authoritys_language(
    deadlines: Deadlines, database_url: str, schema: str
) -> None:
    authority_id = deadlines.authority(period=30)
    deadlines.run(
        RecordAuthorityContact(
            email="greffe@justice.example",
            postal_address="Bureau du greffe\n13 place Vendôme",
            language=Language.FR,
        ),
        authority_id,
        on=D(2029, 1, 1),
    )
    report_id, recs = deadlines.report_sent(authority_id, D(2030, 4, 1))
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle_for(
        ReplyObligationWorkflow.run, f"obligation-{report_id}-{authority_id}"
    )
    await deadlines.close_tasks(handle, D(2030, 6, 3))
    assert await deadlines.finish(handle) == "ended: escalation ladder exhausted"
    await deadlines.letters_batched(D(2030, 6, 4))

    # the steps' letters are written by their batches, in no set order among them
    events = sorted(
        letter_events(deadlines, report_id),
        key=lambda e: (e.meta.business_date, e.letter["kind"], e.letter["level"] or 0),
    )
    written = [
        (e.meta.business_date, e.letter["kind"], e.letter["level"], e.letter["language"])
        for e in events
    ]
    assert written == [
        (D(2030, 4, 1), "transmittal", None, "fr"),
        (D(2030, 4, 25), "reminder", None, "fr"),
        (D(2030, 5, 3), "deadline_missed", None, "fr"),
        (D(2030, 5, 3), "escalation", 1, "fr"),
        (D(2030, 5, 17), "escalation", 2, "fr"),
    ]
    for event in events:
        assert event.letter["recommendation_ids"] == sorted(str(r) for r in recs)
        assert event.meta.actor_id == "system:deadline-workflow"
    # the letters are the report's: none on the recommendations themselves
    assert [letter_events(deadlines, rec) for rec in recs] == [[], []]

    store = DocumentStore(database_url, schema)
    missed = [e for e in events if e.letter["kind"] == LetterKind.DEADLINE_MISSED]
    assert len(missed) == 1
    pdf, docx = missed[0].letter["documents"]
    assert (pdf["media_type"], docx["filename"]) == (
        "application/pdf",
        "deadline-missed-2030-05-03-fr.docx",
    )
    text = pdf_text(store, pdf["sha256"])
    assert "Votre réponse est en retard depuis le 2 mai 2030" in text
    assert "Bureau du greffe 13 place Vendôme" in text
    assert "Recommendation 0" in text and "Recommendation 1" in text
    ministry = pdf_text(store, events[-1].letter["documents"][0]["sha256"])
    assert "saisine de niveau 2" in ministry and "(send escalation letter)" in ministry
    # every stored document is one a letter names: nothing stored twice or in vain
    named = {d["sha256"] for e in events for d in e.letter["documents"]}
    assert {key for key, _ in store.hashes()} == named and len(named) == 2 * len(events)


def test_a_redelivered_letter_activity_stores_nothing_twice_and_records_once(
    executor: Executor, database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Commander(executor)
    rec = issued_recommendation(run, authority(run), D(2030, 4, 1), text="Open the yard")
    due = executor.store.get(Recommendation, rec).reply_due
    request = LetterRequest(
        workflow_id=f"obligation-recommendation-{rec}",
        step=f"missed-{due}",
        kind=LetterKind.DEADLINE_MISSED,
        authority_id=executor.store.get(Recommendation, rec).authority_id,
        recommendation_ids=[str(rec)],
        business_date=D(2030, 5, 3),
        due_on=due,
    )
    activities = DeadlineActivities(executor)
    store = DocumentStore(database_url, schema)

    # The worker dies after the documents are stored, before the event is: the save fails.
    real_save = executor.store.save

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("worker killed")

    monkeypatch.setattr(executor.store, "save", crash)
    with pytest.raises(ConnectionError):
        activities.generate_letter(request)
    after_crash = sorted(key for key, _ in store.hashes())
    assert len(after_crash) == 2 and letter_events_of(executor, rec) == []

    monkeypatch.setattr(executor.store, "save", real_save)
    assert activities.generate_letter(request) is True  # Temporal's retry
    assert activities.generate_letter(request) is True  # a redelivery after it
    recorded = letter_events_of(executor, rec)
    assert len(recorded) == 1
    assert sorted(d["sha256"] for d in recorded[0].letter["documents"]) == after_crash
    assert sorted(key for key, _ in store.hashes()) == after_crash
    assert executor.applied(f"obligation-recommendation-{rec}:missed-{due}:letter")


def letter_events_of(executor: Executor, aggregate_id: Any) -> list[Any]:
    return [e for e in executor.store.events.get(aggregate_id) if hasattr(e, "letter")]


async def test_an_urgent_recommendations_letters_are_its_own(deadlines: Deadlines) -> None:
    authority_id = deadlines.authority(period=30, urgent=5)
    rec = issued_recommendation(
        deadlines.run,
        authority_id,
        D(2030, 4, 1),
        text="Stop placing detainees in the unheated cell",
        kind=RecommendationKind.URGENT,
    )
    await deadlines.relay_all()
    handle = deadlines.client.get_workflow_handle(f"obligation-urgent-{rec}")
    await deadlines.close_tasks(handle, D(2030, 5, 1))
    await deadlines.finish(handle)
    await deadlines.letters_batched(D(2030, 5, 2))
    # no transmittal (no report) and no reminder (too short): the missed deadline, then
    # each ladder level, in English (no contact language recorded)
    written = [
        (e.meta.business_date, e.letter["kind"], e.letter["level"], e.letter["language"])
        for e in letter_events(deadlines, rec)
    ]
    assert sorted(written, key=lambda w: (w[0], w[1], w[2] or 0)) == [
        (D(2030, 4, 9), "deadline_missed", None, "en"),
        (D(2030, 4, 9), "escalation", 1, "en"),
        (D(2030, 4, 23), "escalation", 2, "en"),
    ]
