"""Letters to authorities: listed and downloaded on the recommendation they name and on the
report they are about; written by hand through `GenerateLetter` (the deadline workflows
write theirs through the same command).

A recommendation's letters are its own (urgent, or in no report) and its report's that
name it or transmit the report to its authority. An authority's liaison sees the letters
addressed to its own authority only; anything else is the same 404 as an unknown id.
Downloads are `attachment` with `nosniff`, and only of a document a letter here names."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Response
from pydantic import BaseModel, Field

from domain.attachments import DOCX, PDF
from domain.errors import NotFound
from domain.letters import concerns
from domain.publication import is_published
from domain.recommendation import Recommendation
from domain.report import Report
from services.api.auth import Ability, Actor
from services.api.deps import DocumentsDep, SpeechDep, StoreDep, require
from services.api.downloads import attachment
from services.api.errors import ERROR_RESPONSES
from services.api.threads import OneHopRoute
from services.api.writes import CommandOut, Write, run_command, write_options, writer
from services.application.commands.letters import GenerateLetter
from services.application.store import Rectrack
from services.application.summaries import Names

router = APIRouter(route_class=OneHopRoute, tags=["letters"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(require(Ability.READ))]
Writing = Annotated[Write, Depends(writer(Ability.DRAFT, write_options))]
SHA256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


class LetterDocumentOut(BaseModel):
    media_type: str
    sha256: str
    size: int
    filename: str


class LetterOut(BaseModel):
    kind: str = Field(
        description="transmittal, reminder, deadline_missed, escalation or implementation_overdue"
    )
    language: str
    dated: date = Field(description="the letter's date")
    written_by: str = Field(description="who wrote it: the deadline workflow or a person")
    authority_id: UUID
    authority_name: str
    report_id: UUID | None = Field(description="the report it is about, if any")
    report_title: str | None
    recommendation_ids: list[UUID]
    due_on: date | None
    level: int | None = Field(description="an escalation letter: the ladder level")
    documents: list[LetterDocumentOut] = Field(description="the PDF, then the DOCX")


class LettersOut(BaseModel):
    items: list[LetterOut]


def _out(names: Names, letter: dict[str, Any], report: Report | None) -> LetterOut:
    return LetterOut(
        kind=letter["kind"],
        language=letter["language"],
        dated=date.fromisoformat(letter["dated"]),
        written_by=names.actor(letter.get("actor_id")),
        authority_id=UUID(letter["authority_id"]),
        authority_name=names.authority(letter["authority_id"]),
        report_id=report.id if report else None,
        report_title=report.title if report else None,
        recommendation_ids=[UUID(r) for r in letter["recommendation_ids"]],
        due_on=date.fromisoformat(letter["due_on"]) if letter.get("due_on") else None,
        level=letter.get("level"),
        documents=[LetterDocumentOut(**d) for d in letter["documents"]],
    )


def _recommendation_letters(
    app: Rectrack, actor: Actor, recommendation_id: UUID
) -> list[tuple[dict[str, Any], Report | None]]:
    rec = app.find(Recommendation, recommendation_id)
    principal = actor.principal
    if rec is None or (
        principal.sees_published_only
        and (not principal.may_see(rec.authority_id) or not is_published(rec))
    ):
        raise NotFound("recommendation", recommendation_id)
    found: list[tuple[dict[str, Any], Report | None]] = [(x, None) for x in rec.letters]
    report = app.find(Report, UUID(rec.report_id)) if rec.report_id else None
    if report is not None:
        for letter in report.letters:
            if concerns(letter, str(rec.id), str(rec.authority_id)):
                found.append((letter, report))
    found.sort(key=lambda pair: pair[0]["dated"])
    return found


def _report_letters(
    app: Rectrack, actor: Actor, report_id: UUID
) -> list[tuple[dict[str, Any], Report | None]]:
    report = app.find(Report, report_id)
    principal = actor.principal
    if report is None or (
        principal.sees_published_only and not any(principal.may_see(a) for a in report.sendings)
    ):
        raise NotFound("report", report_id)
    return [(x, report) for x in report.letters if principal.may_see(x["authority_id"])]


def _download(
    letters: list[tuple[dict[str, Any], Report | None]], sha256: str, documents: DocumentsDep
) -> Response:
    named = [d for letter, _ in letters for d in letter["documents"] if d["sha256"] == sha256]
    document = documents.get(sha256) if named else None
    if document is None:
        raise NotFound("letter document", sha256)
    return attachment(document, named[-1]["filename"])


_DOWNLOAD = {
    "response_class": Response,
    "responses": {200: {"content": {PDF: {}, DOCX: {}}}},
}


@router.get(
    "/recommendations/{recommendation_id}/letters",
    summary="The letters naming this recommendation (its own and its report's), oldest first",
)
def recommendation_letters(
    recommendation_id: UUID, actor: Reader, store: StoreDep, say: SpeechDep
) -> LettersOut:
    pairs = _recommendation_letters(store, actor, recommendation_id)
    names = Names(store, say)
    return LettersOut(items=[_out(names, letter, report) for letter, report in pairs])


@router.get(
    "/recommendations/{recommendation_id}/letters/{sha256}",
    summary="Download a letter (PDF or DOCX) naming this recommendation",
    **_DOWNLOAD,  # type: ignore[arg-type]
)
def download_recommendation_letter(
    recommendation_id: UUID, sha256: SHA256, actor: Reader, store: StoreDep, docs: DocumentsDep
) -> Response:
    return _download(_recommendation_letters(store, actor, recommendation_id), sha256, docs)


@router.get("/reports/{report_id}/letters", summary="The letters about this report, oldest first")
def report_letters(report_id: UUID, actor: Reader, store: StoreDep, say: SpeechDep) -> LettersOut:
    pairs = _report_letters(store, actor, report_id)
    names = Names(store, say)
    return LettersOut(items=[_out(names, letter, report) for letter, report in pairs])


@router.get(
    "/reports/{report_id}/letters/{sha256}",
    summary="Download a letter (PDF or DOCX) about this report",
    **_DOWNLOAD,  # type: ignore[arg-type]
)
def download_report_letter(
    report_id: UUID, sha256: SHA256, actor: Reader, store: StoreDep, docs: DocumentsDep
) -> Response:
    return _download(_report_letters(store, actor, report_id), sha256, docs)


@router.post(
    "/letters",
    status_code=201,
    summary="Write a letter to an authority (rendered to PDF and DOCX, stored, recorded on "
    "the report when report_id is given, else on the one recommendation named)",
)
def generate_letter(body: GenerateLetter, write: Writing) -> CommandOut:
    return run_command(write, body)
