"""What the e-mail's workflows are given (workflows/mail_workflows.py): the plan of a
digest and a letter to send. Kept apart from the workflows and passed through their
sandbox, as workflows/messages.py is, so `date` fields are the real `datetime.date` the
converter (workflows/converter.py) decodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.letters import emailed_document, letter_email_key


class DigestKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


ACTIVITY = {DigestKind.DAILY: "email_daily_digests", DigestKind.WEEKLY: "email_weekly_digests"}


@dataclass(frozen=True)
class DigestPlan:
    kind: DigestKind
    hour: int  # UTC
    weekday: int = 0  # weekly only; 0 is Monday


def next_run(now: datetime, plan: DigestPlan) -> datetime:
    """The first moment after `now` at the plan's hour (and weekday)."""
    at = now.replace(hour=plan.hour, minute=0, second=0, microsecond=0)
    if plan.kind == DigestKind.WEEKLY:
        at += timedelta(days=(plan.weekday - at.weekday()) % 7)
    if at <= now:
        at += timedelta(days=7 if plan.kind == DigestKind.WEEKLY else 1)
    return at


@dataclass(frozen=True)
class LetterMail:
    """A generated letter (a document in the store, by SHA-256) for an authority. The
    subject is written from the letter's kind in the authority's language (`title`, when
    given, is used instead)."""

    authority_id: str
    sha256: str
    filename: str
    business_date: date
    kind: str = ""  # transmittal, reminder, deadline_missed, escalation (domain/letters.py)
    title: str = ""
    media_type: str = "application/pdf"
    about: list[str] = field(default_factory=list)  # recommendation and report ids
    recommendation_ids: list[str] = field(default_factory=list)  # named by reference
    due_on: date | None = None
    level: int | None = None

    @property
    def key(self) -> str:
        return letter_email_key(self.sha256, self.authority_id)

    @property
    def workflow_id(self) -> str:
        return f"mail-{self.key}"


def letter_mail_from(
    originator_id: str, letter: dict[str, Any], business_date: date
) -> LetterMail | None:
    """The e-mail of a `LetterGenerated` event's letter (its `letter` field: kind,
    authority_id, recommendation_ids, documents, due_on, level), with the PDF attached
    (else the first rendering); None when it names no document."""
    pdf = emailed_document(letter)
    if pdf is None:
        return None
    recommendations = [str(r) for r in letter.get("recommendation_ids") or ()]
    due = letter.get("due_on")
    return LetterMail(
        authority_id=str(letter["authority_id"]),
        sha256=str(pdf["sha256"]),
        filename=str(pdf.get("filename") or "letter.pdf"),
        business_date=business_date,
        kind=str(letter.get("kind") or ""),
        media_type=str(pdf.get("media_type") or "application/pdf"),
        about=sorted({originator_id, *recommendations}),
        recommendation_ids=recommendations,
        due_on=date.fromisoformat(due) if isinstance(due, str) else due,
        level=letter.get("level"),
    )
