"""The letters and e-mails about a recommendation that are recorded on other aggregates,
for its history: the `LetterGenerated` events of its report that concern it (the report's
transmittal to its authority, a letter naming it), and the `Email.Sent` event of every
letter about it that was e-mailed. A person reading the history sees the whole written
dialogue with the authority in one place, without knowing where each fact is kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

from domain.email import Email, email_id_for
from domain.letters import concerns, emailed_document, letter_email_key
from domain.recommendation import Recommendation
from domain.report import Report
from services.application.store import Rectrack

# The library makes the event classes at import, out of the type checker's sight.
_R: Any = Recommendation
_REPORT: Any = Report


def correspondence(store: Rectrack, recommendation: Recommendation) -> list[tuple[Any, UUID]]:
    """(event, the id of the aggregate it belongs to) for the report's letters about the
    recommendation and the e-mails of all its letters, in the order recorded per source."""
    letters = [
        event
        for event in store.events.get(recommendation.id)
        if isinstance(event, _R.LetterGenerated)
    ]
    found: list[tuple[Any, UUID]] = []
    if recommendation.report_id:
        report_id = UUID(str(recommendation.report_id))
        for event in _report_letters(store, report_id):
            if concerns(event.letter, str(recommendation.id), str(recommendation.authority_id)):
                letters.append(event)
                found.append((event, report_id))
    for event in letters:
        document = emailed_document(event.letter)
        if document is None:
            continue
        email_id = email_id_for(
            letter_email_key(str(document["sha256"]), str(event.letter["authority_id"]))
        )
        if store.find(Email, email_id) is not None:
            found += [(sent, email_id) for sent in store.events.get(email_id)]
    return found


def _report_letters(store: Rectrack, report_id: UUID) -> Iterator[Any]:
    if store.find(Report, report_id) is None:
        return
    for event in store.events.get(report_id):
        if isinstance(event, _REPORT.LetterGenerated):
            yield event
