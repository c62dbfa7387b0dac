"""Reports that carry recommendations. Sending a report to an authority starts the
statutory clock for its reply, so the sending is an event with the computed due date.

The one rule of the reply clock (see also services/application/handlers/clock.py): the
recommendations of a report are due a reply period after the report reached their
authority, counted from its sending or from its receipt as the authority's reply policy
says. A recommendation issued under the report before it was sent to its authority waits
for the sending (the report remembers it, so the sending can start its clock); one issued
afterwards starts from the later of its issue and the clock start. Urgent recommendations
run on their own short period from their issue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.letters import check_documents, dated_by
from domain.values import EventMeta


@dataclass(frozen=True)
class Sending:
    sent_on: date
    received_on: date | None
    reply_due: date

    @property
    def clock_started_on(self) -> date:
        """The day the reply clock started: the receipt when it counted, else the
        sending."""
        return self.received_on or self.sent_on


class Report(Aggregate):
    @event("Registered")
    def __init__(
        self,
        meta: EventMeta,
        kind: str,
        title: str,
        report_date: date,
        link: str | None,
        visit_ids: list[str],
    ) -> None:
        self.kind = kind
        self.title = title
        self.report_date = report_date
        self.link = link
        self.visit_ids = list(visit_ids)
        self.sendings: dict[str, Sending] = {}
        # recommendations issued under the report before it was sent to their authority,
        # by authority id: the sending starts their reply clock
        self.awaiting: dict[str, list[str]] = {}
        # letters to the authorities it was sent to (domain/letters.py)
        self.letters: list[dict[str, Any]] = []

    def check_sending(
        self, authority_id: str, sent_on: date, received_on: date | None = None
    ) -> None:
        """Whether this report may be sent to the authority on `sent_on`: raises the
        error naming the field and the rule, appends nothing."""
        if sent_on < self.report_date:
            raise InvalidInput(
                "sent_on",
                "must not precede the report's date {day}",
                day=self.report_date,
            )
        if received_on is not None and received_on < sent_on:
            raise InvalidInput("received_on", "must not precede the sending date")
        if authority_id in self.sendings:
            raise InvalidInput(
                "authority_id",
                "the report {title} was already sent to this authority on {day}",
                title=repr(self.title),
                day=self.sendings[authority_id].sent_on,
            )

    def send_to(
        self,
        meta: EventMeta,
        authority_id: str,
        sent_on: date,
        reply_due: date,
        received_on: date | None = None,
    ) -> None:
        self.check_sending(authority_id, sent_on, received_on)
        self._send(meta, authority_id, sent_on, reply_due, received_on)

    @event("SentToAuthority")
    def _send(
        self,
        meta: EventMeta,
        authority_id: str,
        sent_on: date,
        reply_due: date,
        received_on: date | None = None,
    ) -> None:
        self.sendings[authority_id] = Sending(sent_on, received_on, reply_due)
        self.awaiting.pop(authority_id, None)

    def sending_to(self, authority_id: str) -> Sending | None:
        return self.sendings.get(authority_id)

    def hold_for_sending(self, meta: EventMeta, recommendation_id: str, authority_id: str) -> None:
        """A recommendation was issued under this report before the report was sent to
        its authority: its reply clock starts with that sending."""
        if authority_id in self.sendings:
            raise InvalidInput("authority_id", "the report was already sent to this authority")
        if recommendation_id in self.awaiting.get(authority_id, []):
            return
        self._hold(meta, recommendation_id, authority_id)

    @event("RecommendationAwaitingSending")
    def _hold(self, meta: EventMeta, recommendation_id: str, authority_id: str) -> None:
        self.awaiting.setdefault(authority_id, []).append(recommendation_id)

    def record_letter(self, meta: EventMeta, letter: dict[str, Any]) -> None:
        """A letter about this report to an authority it was sent to: the transmittal,
        and the reminders, missed deadlines and escalations of its reply obligation."""
        if letter["authority_id"] not in self.sendings:
            raise InvalidInput(
                "authority_id", "the report {title} was not sent to it", title=repr(self.title)
            )
        check_documents(letter["documents"])
        self._record_letter(meta, letter)

    @event("LetterGenerated")
    def _record_letter(self, meta: EventMeta, letter: dict[str, Any]) -> None:
        self.letters.append({**letter, **dated_by(meta)})
