"""The rules of the decisions the deadline workflows record on a recommendation (a
reminder, a missed deadline, an escalation, an overdue implementation): the public
methods, which check and raise. The events they trigger stay in domain/recommendation.py,
where their topics have always been, so stored events load as before."""

from __future__ import annotations

from datetime import date

from domain.errors import InvalidInput
from domain.values import EventMeta as Meta


class WorkflowDecisions:
    """Mixed into Recommendation, which defines what these call."""

    def _require(self, action: str) -> None:
        raise NotImplementedError

    def _record_reply_reminder(self, meta: Meta, due_on: date, letters_batched: bool) -> None:
        raise NotImplementedError

    def _record_reply_deadline_missed(
        self, meta: Meta, due_on: date, letters_batched: bool
    ) -> None:
        raise NotImplementedError

    def _record_escalation(
        self,
        meta: Meta,
        level: int,
        action: str,
        addressee: str,
        obligation_id: str,
        due_on: date | None = None,
        letters_batched: bool = False,
    ) -> None:
        raise NotImplementedError

    def _record_implementation_overdue(self, meta: Meta, due_on: date) -> None:
        raise NotImplementedError

    # letters_batched: the step writes no letter of its own; the relay joins this one into
    # its authority's letter of the day (workflows/relay_letters.py).

    def record_reply_reminder(
        self, meta: Meta, due_on: date, letters_batched: bool = False
    ) -> None:
        self._require("record_reply_reminder")
        self._record_reply_reminder(meta, due_on, letters_batched)

    def record_reply_deadline_missed(
        self, meta: Meta, due_on: date, letters_batched: bool = False
    ) -> None:
        self._require("record_reply_deadline_missed")
        self._record_reply_deadline_missed(meta, due_on, letters_batched)

    def record_escalation(
        self,
        meta: Meta,
        level: int,
        action: str,
        addressee: str,
        obligation_id: str,
        due_on: date | None = None,
        letters_batched: bool = False,
    ) -> None:
        """`due_on`: the reply due date the level escalates (the relay dates the
        level's letter by it, workflows/relay_letters.py)."""
        self._require("record_escalation")
        if level < 1:
            raise InvalidInput("level", "escalation levels start at 1")
        self._record_escalation(
            meta, level, action, addressee, obligation_id, due_on, letters_batched
        )

    def record_implementation_overdue(self, meta: Meta, due_on: date) -> None:
        self._require("record_implementation_overdue")
        self._record_implementation_overdue(meta, due_on)
