"""Reports that carry recommendations. Sending a report to an authority starts the
statutory clock for its reply, so the sending is an event with the computed due date."""

from __future__ import annotations

from datetime import date

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import EventMeta


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
        self.sendings: dict[str, tuple[date, date]] = {}

    def send_to(self, meta: EventMeta, authority_id: str, sent_on: date, reply_due: date) -> None:
        if sent_on < self.report_date:
            raise InvalidInput(
                "sent_on",
                f"must not precede the report's date {self.report_date.isoformat()}",
            )
        if authority_id in self.sendings:
            raise InvalidInput(
                "authority_id",
                f"report {self.id} was already sent to authority {authority_id} on "
                f"{self.sendings[authority_id][0].isoformat()}",
            )
        self._send(meta, authority_id, sent_on, reply_due)

    @event("SentToAuthority")
    def _send(self, meta: EventMeta, authority_id: str, sent_on: date, reply_due: date) -> None:
        self.sendings[authority_id] = (sent_on, reply_due)
