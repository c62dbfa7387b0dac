"""The audit of evidence documents: every document an `EvidenceAttached` event names is in
the store, and every stored document's bytes still hash to the key it is stored under.

An event holds only a document's SHA-256; the signed log proves the events unaltered, and
this check carries that proof over to the bytes. `rectrack audit evidence` runs it, over
the evidence and the letters (the PDF and the DOCX each `LetterGenerated` names);
DOCUMENT_EVENTS takes any other event class that names documents."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from eventsourcing.utils import get_topic

from domain.email import Email
from domain.recommendation import Recommendation
from domain.report import Report
from services.application.store import Rectrack

_R: Any = Recommendation
_P: Any = Report
_E: Any = Email


def _letter(event: Any) -> Iterator[tuple[str, str]]:
    """Each rendering of a letter (its PDF and its DOCX)."""
    for doc in event.letter["documents"]:
        yield doc["sha256"], f"letter {doc['filename']}"


DOCUMENT_EVENTS: dict[type, Callable[[Any], Iterator[tuple[str, str]]]] = {
    _R.EvidenceAttached: lambda e: iter([(e.document["sha256"], e.document["filename"])]),
    _R.LetterGenerated: _letter,
    _P.LetterGenerated: _letter,
    # a letter e-mailed: the attachment is the stored letter the e-mail names
    _E.Sent: lambda e: ((sha, f"attached to e-mail {e.message_id}") for sha in e.attachments),
}
"""Per event class that names documents: (sha256, a name for people) of each it names."""

PAGE = 1000


class StoredHashes(Protocol):
    def hashes(self) -> Iterator[tuple[str, str]]: ...


@dataclass
class EvidenceAudit:
    named: int = 0
    stored: int = 0
    missing: list[str] = field(default_factory=list)
    altered: list[str] = field(default_factory=list)
    unreferenced: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not (self.missing or self.altered)


def named_documents(app: Rectrack) -> dict[str, list[str]]:
    """sha256 -> where it is named ("<aggregate id> v<version>: <name>"), from the log."""
    topics = {get_topic(cls): cls for cls in DOCUMENT_EVENTS}
    named: dict[str, list[str]] = {}
    start: int | None = 1
    while start is not None:
        page = app.recorder.select_notifications(start, PAGE, topics=list(topics))
        for notification in page:
            event: Any = app.mapper.to_domain_event(notification)
            for sha256, name in DOCUMENT_EVENTS[topics[notification.topic]](event):
                where = f"{event.originator_id} v{event.originator_version}: {name}"
                named.setdefault(sha256, []).append(where)
        start = page[-1].id + 1 if len(page) == PAGE else None
    return named


def audit_evidence(app: Rectrack, documents: StoredHashes) -> EvidenceAudit:
    named = named_documents(app)
    audit = EvidenceAudit(named=len(named))
    seen: set[str] = set()
    for key, recomputed in documents.hashes():
        audit.stored += 1
        seen.add(key)
        if key != recomputed:
            where = "; ".join(named.get(key, [])) or "no event"
            audit.altered.append(f"{key}: its bytes now hash to {recomputed}; named by {where}")
        elif key not in named:
            audit.unreferenced.append(key)
    for sha256, places in sorted(named.items()):
        if sha256 not in seen:
            audit.missing.extend(f"{sha256} named by {where}" for where in places)
    return audit
