"""GenerateLetter through the executor on PostgreSQL: the letter is rendered in the
authority's language, both renderings are stored by their SHA-256, and LetterGenerated on
the recommendation or the report names them. A retry with the same command id renders
nothing new and records nothing; bad requests name the field and append nothing; the
audit names a letter whose stored bytes were altered."""

from __future__ import annotations

import io
from datetime import date, timedelta

import psycopg
import pytest
from pypdf import PdfReader

from domain.errors import InvalidInput
from domain.letters import LetterKind
from domain.recommendation import Recommendation
from domain.report import Report
from domain.values import Language, ReportKind
from services.adapters.documents import DocumentStore, sha256_of
from services.application.commands.letters import GenerateLetter
from services.application.commands.recommendations import DraftRecommendation
from services.application.commands.registry import RecordAuthorityContact, RegisterReport
from services.application.store import Rectrack
from services.cli import main
from tests.builders import DAY, Commander, authority, issued_recommendation, reply


def stored_hashes(database_url: str, schema: str) -> list[str]:
    return [key for key, _ in DocumentStore(database_url, schema).hashes()]


def test_a_letter_on_a_recommendation_in_the_authoritys_language(
    run: Commander, app: Rectrack, database_url: str, schema: str
) -> None:
    ministry = authority(run)
    run(
        RecordAuthorityContact(postal_address="Place Vendôme\nParis", language=Language.FR),
        ministry,
    )
    rec = issued_recommendation(run, ministry)
    due = app.get(Recommendation, rec).reply_due
    assert due is not None
    command = GenerateLetter(kind=LetterKind.DEADLINE_MISSED, recommendation_ids=[rec])
    later = due + timedelta(days=1)
    first = run(command, on=later, command_id="obligation-x:missed:letter")

    found = app.get(Recommendation, rec)
    assert first.version == found.version and not first.replayed
    assert len(found.letters) == 1
    letter = found.letters[0]
    assert (letter["kind"], letter["language"], letter["due_on"]) == (
        "deadline_missed",
        "fr",
        due.isoformat(),
    )
    assert letter["recommendation_ids"] == [str(rec)]
    pdf, word = letter["documents"]
    assert pdf["filename"] == f"deadline-missed-{later.isoformat()}-fr.pdf"
    assert word["filename"].endswith("-fr.docx")
    store = DocumentStore(database_url, schema)
    for doc in (pdf, word):
        content = store.get(doc["sha256"])
        assert content is not None
        assert (sha256_of(content.content), content.size) == (doc["sha256"], doc["size"])
    text = PdfReader(io.BytesIO(store.get(pdf["sha256"]).content)).pages[0].extract_text()  # type: ignore[union-attr]
    assert "Madame, Monsieur," in text and "Place Vendôme" in text

    # The same command id again (a redelivered activity): nothing rendered, nothing recorded.
    again = run(command, on=later, command_id="obligation-x:missed:letter")
    assert again.replayed and again.version == first.version
    assert len(app.get(Recommendation, rec).letters) == 1
    assert sorted(stored_hashes(database_url, schema)) == sorted([pdf["sha256"], word["sha256"]])


def test_a_reports_letters_transmittal_and_escalation(
    run: Commander, app: Rectrack, database_url: str, schema: str
) -> None:
    ministry = authority(run)
    report = run(
        RegisterReport(
            kind=ReportKind.VISIT_REPORT,
            title="Visit to Prison A",
            report_date=DAY,
            send_to=[ministry],
        )
    ).aggregate_id
    recs = [
        issued_recommendation(run, ministry, report_id=report, text=text)
        for text in ("Open the yard", "Repair the showers")
    ]
    run(
        GenerateLetter(
            kind=LetterKind.TRANSMITTAL,
            report_id=report,
            authority_id=ministry,
            recommendation_ids=recs,
        )
    )
    run(
        GenerateLetter(
            kind=LetterKind.ESCALATION, report_id=report, recommendation_ids=recs, level=2
        ),
        on=DAY + timedelta(days=60),
    )
    letters = app.get(Report, report).letters
    assert [(x["kind"], x["level"], x["language"]) for x in letters] == [
        ("transmittal", None, "en"),
        ("escalation", 2, "en"),
    ]
    assert letters[1]["recommendation_ids"] == [str(r) for r in recs]
    doc = DocumentStore(database_url, schema).get(letters[1]["documents"][0]["sha256"])
    assert doc is not None
    text = " ".join(PdfReader(io.BytesIO(doc.content)).pages[0].extract_text().split())
    # the ladder's level 2 (tests/builders.py LADDER): its addressee and its action
    assert text.startswith("National Preventive Mechanism")
    assert "ministry Ministry of Justice" in text and "(send escalation letter)" in text
    assert "Repair the showers" in text and "Visit to Prison A" in text
    assert len(app.get(Recommendation, recs[0]).letters) == 0  # the report's, not theirs


def test_one_letter_about_recommendations_of_several_reports_is_on_each(
    run: Commander, app: Rectrack, database_url: str, schema: str
) -> None:
    # What a batch of one authority's day writes (workflows/letter_batch.py).
    ministry = authority(run)
    recs = [issued_recommendation(run, ministry) for _ in range(3)]
    due = app.get(Recommendation, recs[0]).reply_due
    assert due is not None
    run(
        GenerateLetter(kind=LetterKind.DEADLINE_MISSED, recommendation_ids=recs),
        on=due + timedelta(days=1),
    )
    letters = [app.get(Recommendation, rec).letters for rec in recs]
    assert all(len(found) == 1 for found in letters)
    assert all(found[0] == letters[0][0] for found in letters)
    assert letters[0][0]["recommendation_ids"] == [str(r) for r in recs]
    # rendered and stored once
    assert len(stored_hashes(database_url, schema)) == 2


@pytest.mark.parametrize(
    ("build", "field", "words"),
    [
        (
            lambda m, r, d, rep: {
                "kind": "escalation",
                "report_id": rep,
                "recommendation_ids": r,
                "level": 3,
            },
            "level",
            "in force on",
        ),
        (
            lambda m, r, d, rep: {"kind": "transmittal", "recommendation_ids": r[:1]},
            "report_id",
            "goes with a report",
        ),
        (
            lambda m, r, d, rep: {"kind": "reminder", "recommendation_ids": [d]},
            "recommendation_ids[0]",
            "draft",
        ),
        (
            lambda m, r, d, rep: {"kind": "reminder", "recommendation_ids": [r[0], r[0]]},
            "recommendation_ids",
            "twice",
        ),
        (
            lambda m, r, d, rep: {"kind": "reminder", "report_id": rep},
            "recommendation_ids",
            "at least one",
        ),
        (
            lambda m, r, d, rep: {"kind": "reminder", "recommendation_ids": r[:1], "level": 1},
            "level",
            "only an escalation",
        ),
    ],
)
def test_a_bad_request_names_the_field_and_appends_nothing(
    run: Commander,
    app: Rectrack,
    database_url: str,
    schema: str,
    build: object,
    field: str,
    words: str,
) -> None:
    ministry = authority(run)
    report = run(
        RegisterReport(
            kind=ReportKind.VISIT_REPORT,
            title="Visit to Prison A",
            report_date=DAY,
            send_to=[ministry],
        )
    ).aggregate_id
    recs = [issued_recommendation(run, ministry, report_id=report) for _ in range(2)]
    draft = run(
        DraftRecommendation(kind="visit", text="Not yet", authority_id=ministry)
    ).aggregate_id
    before = app.recorder.max_notification_id()
    body = build(ministry, recs, draft, report)  # type: ignore[operator]
    with pytest.raises(InvalidInput) as refused:
        run(GenerateLetter.model_validate(body))
    assert refused.value.field == field and words in str(refused.value)
    assert app.recorder.max_notification_id() == before
    assert stored_hashes(database_url, schema) == []


def test_the_audit_names_an_altered_letter(
    run: Commander,
    app: Rectrack,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    rec = issued_recommendation(run, authority(run))
    run(GenerateLetter(kind=LetterKind.REMINDER, recommendation_ids=[rec]), on=date(2026, 1, 30))
    pdf = app.get(Recommendation, rec).letters[0]["documents"][0]
    assert main(["audit", "evidence"]) == 0
    assert "2 stored document(s), 2 named by evidence events" in capsys.readouterr().out

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            f'UPDATE "{schema}".rectrack_documents SET bytes = %s WHERE sha256 = %s',
            (b"%PDF-1.7 a forged letter", pdf["sha256"]),
        )
    assert main(["audit", "evidence"]) == 1
    err = capsys.readouterr().err
    assert f"ALTERED {pdf['sha256']}: its bytes now hash to" in err
    assert f"named by {rec} v3: letter reminder-2026-01-30-en.pdf" in err


def test_an_overdue_implementation_letter_is_about_the_agreed_date(
    run: Commander, app: Rectrack, database_url: str, schema: str
) -> None:
    """Written by hand (or by the implementation follow-up), the letter's date is the
    implementation the reply agreed to, not the reply's own due date."""
    ministry = authority(run)
    rec = issued_recommendation(run, ministry)
    agreed = date(2026, 6, 30)
    reply(run, rec, agreed_implementation_date=agreed)
    command = GenerateLetter(kind=LetterKind.IMPLEMENTATION_OVERDUE, recommendation_ids=[rec])
    run(command, on=date(2026, 8, 1))
    (letter,) = app.get(Recommendation, rec).letters
    assert (letter["kind"], letter["due_on"]) == ("implementation_overdue", agreed.isoformat())
    pdf = DocumentStore(database_url, schema).get(letter["documents"][0]["sha256"])
    assert pdf is not None
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "Implementation overdue since 30 June 2026" in text
