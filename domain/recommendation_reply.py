"""The rules of the authority's reply to a recommendation: its reply clock started when
the report reaches the authority, the reply recorded, the deadline extended. The public
methods, which check and raise; their events stay in domain/recommendation.py, where
their topics have always been, so stored events load as before (as
domain/recommendation_decisions.py)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.errors import IllegalTransition, InvalidInput
from domain.recommendation_rules import allowed_actions
from domain.values import EventMeta as Meta
from domain.values import Position, Status


class Reply:
    """Mixed into Recommendation, which defines what these call and read."""

    id: UUID
    status: Status
    issued_on: date | None
    reply_due: date | None

    def _require(self, action: str) -> None:
        raise NotImplementedError

    def _start_reply_clock(self, meta: Meta, started_on: date, reply_due: date) -> None:
        raise NotImplementedError

    def _record_response(
        self,
        meta: Meta,
        received_on: date,
        position: str | None,
        text: str,
        agreed_implementation_date: date | None,
    ) -> None:
        raise NotImplementedError

    def _extend_reply_deadline(self, meta: Meta, previous_due: date, new_due: date) -> None:
        raise NotImplementedError

    def start_reply_clock(self, meta: Meta, started_on: date, reply_due: date) -> None:
        """The report this recommendation was issued under reached its authority: the
        reply is due a period after `started_on` (its sending or receipt)."""
        if self.status != Status.ISSUED:
            raise IllegalTransition(
                "recommendation",
                self.id,
                self.status.value,
                "start_reply_clock",
                allowed_actions(self.status),
            )
        if reply_due <= started_on:
            raise InvalidInput("reply_due", "must be after the day the reply clock started")
        self._start_reply_clock(meta, started_on, reply_due)

    def record_response(
        self,
        meta: Meta,
        received_on: date,
        position: Position | None,
        text: str,
        agreed_implementation_date: date | None,
    ) -> None:
        """`position` None: a reply that takes none yet ("under consideration"); the
        latest position stated counts."""
        self._require("record_response")
        assert self.issued_on is not None
        if received_on < self.issued_on:
            raise InvalidInput(
                "received_on", "must not precede the issue date {day}", day=self.issued_on
            )
        if agreed_implementation_date is not None:
            if position not in (Position.ACCEPTED, Position.PARTIALLY_ACCEPTED):
                if position is None:
                    raise InvalidInput(
                        "agreed_implementation_date",
                        "only an accepted or partially accepted recommendation has one, "
                        "not a reply without a position",
                    )
                raise InvalidInput(
                    "agreed_implementation_date",
                    "only an accepted or partially accepted recommendation has one, "
                    "not a {position}",
                    position=position,
                )
            if agreed_implementation_date < received_on:
                raise InvalidInput(
                    "agreed_implementation_date", "must not precede the date the reply arrived"
                )
        self._record_response(
            meta,
            received_on,
            position.value if position else None,
            text,
            agreed_implementation_date,
        )

    def extend_reply_deadline(self, meta: Meta, new_due: date) -> None:
        self._require("extend_reply_deadline")
        if self.reply_due is None:
            raise InvalidInput(
                "new_due",
                "the reply clock has not started: the report is not yet sent to the authority",
            )
        if new_due <= self.reply_due:
            raise InvalidInput(
                "new_due", "must be after the current due date {due}", due=self.reply_due
            )
        self._extend_reply_deadline(meta, self.reply_due, new_due)
