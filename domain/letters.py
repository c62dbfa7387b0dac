"""Letters to authorities: what kinds there are, what one says (plain values the renderer
turns into a PDF and a DOCX), and what a `LetterGenerated` event records of it.

The field's practice is written dialogue: the report goes with a transmittal letter, a
reminder comes before the reply is due, a letter when it is missed, and one per level of
the authority's escalation ladder. The event holds the documents' SHA-256 and size, never
their bytes (those are in the document store), so the audit can check them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from domain.errors import InvalidInput
from domain.values import EventMeta, Language


class LetterKind(StrEnum):
    TRANSMITTAL = "transmittal"  # the report, sent to the authority
    REMINDER = "reminder"  # before the reply is due
    DEADLINE_MISSED = "deadline_missed"  # the reply was due and did not come
    ESCALATION = "escalation"  # a level of the authority's escalation ladder
    IMPLEMENTATION_OVERDUE = "implementation_overdue"  # an agreed date passed, unverified


@dataclass(frozen=True)
class Letterhead:
    """The NPM's letterhead (settings: RECTRACK_LETTERHEAD_*)."""

    name: str
    address: str = ""
    signatory: str = ""
    signatory_title: str = ""
    place: str = ""  # the town a letter is written in ("Geneva, 3 March 2026")


@dataclass(frozen=True)
class LetterItem:
    """One recommendation a letter names."""

    reference: str | None
    text: str
    due_on: date | None = None


@dataclass(frozen=True)
class LetterContent:
    """Everything a letter says, in plain values: the renderer adds only the wording of
    its language."""

    kind: LetterKind
    language: Language
    dated: date
    letterhead: Letterhead
    authority_name: str
    postal_address: str | None = None
    items: tuple[LetterItem, ...] = ()
    report_title: str | None = None
    report_date: date | None = None
    due_on: date | None = None
    level: int | None = None
    action: str | None = None  # the ladder level's action ("letter to the minister")
    addressee: str | None = None  # the ladder level's addressee ("the minister")


@dataclass(frozen=True)
class StoredLetterDocument:
    """One rendering of a letter, as stored: what the event records of it."""

    media_type: str
    sha256: str
    size: int
    filename: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "media_type": self.media_type,
            "sha256": self.sha256,
            "size": self.size,
            "filename": self.filename,
        }


@dataclass(frozen=True)
class LetterRecord:
    """What a `LetterGenerated` event records: the kind, the language, to whom and about
    what, and each rendering's hash and size."""

    kind: LetterKind
    language: Language
    authority_id: str
    recommendation_ids: list[str]
    documents: list[StoredLetterDocument]
    due_on: date | None = None
    level: int | None = None

    def as_event_fields(self) -> dict[str, Any]:
        """Plain JSON values (the due date as an ISO string), as the event stores them."""
        return {
            "kind": self.kind.value,
            "language": self.language.value,
            "authority_id": self.authority_id,
            "recommendation_ids": list(self.recommendation_ids),
            "documents": [d.as_dict() for d in self.documents],
            "due_on": self.due_on.isoformat() if self.due_on else None,
            "level": self.level,
        }


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_documents(documents: list[dict[str, Any]]) -> None:
    """A letter names at least one stored rendering, each by a well-formed hash."""
    if not documents:
        raise InvalidInput("documents", "a letter needs at least one rendering")
    for index, doc in enumerate(documents):
        if not _SHA256.match(str(doc.get("sha256", ""))):
            raise InvalidInput(f"documents[{index}].sha256", "must be 64 hexadecimal digits")
        if not isinstance(doc.get("size"), int) or doc["size"] < 1:
            raise InvalidInput(f"documents[{index}].size", "a letter must not be empty")


def dated_by(meta: EventMeta) -> dict[str, str]:
    """What the aggregates keep of a letter's event beside its data: its date and who
    wrote it (the deadline workflow or a caseworker), as the pages list them."""
    return {"dated": meta.business_date.isoformat(), "actor_id": meta.actor_id}


def letter_filename(kind: LetterKind, language: Language, dated: date, extension: str) -> str:
    """A name for people and for `Content-Disposition`: kind, date and language."""
    return f"{kind.value.replace('_', '-')}-{dated.isoformat()}-{language.value}.{extension}"


def concerns(letter: dict[str, Any], recommendation_id: str, authority_id: str) -> bool:
    """Whether a report's letter (as its `LetterGenerated` records it) is about this
    recommendation: it names it, or it sends the report to the recommendation's authority."""
    names_it = recommendation_id in [str(r) for r in letter.get("recommendation_ids") or ()]
    transmits = letter.get("kind") == LetterKind.TRANSMITTAL and str(
        letter.get("authority_id")
    ) == str(authority_id)
    return names_it or transmits


def emailed_document(letter: dict[str, Any]) -> dict[str, Any] | None:
    """The rendering a letter's e-mail carries: its PDF, else the first; None if none."""
    documents = list(letter.get("documents") or ())
    if not documents:
        return None
    return next((d for d in documents if d.get("media_type") == "application/pdf"), documents[0])


def letter_email_key(sha256: str, authority_id: str) -> str:
    """The send key of a letter's e-mail (domain/email.py): one e-mail per document and
    authority, however often the letter is relayed."""
    return f"letter:{sha256}:{authority_id}"
