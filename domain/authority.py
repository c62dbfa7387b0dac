"""Authorities that recommendations are addressed to, and the reply policy and escalation
ladder each is bound by. Policy changes are events with an effective date, so the policy
in force on any past date can be shown and deadlines computed as the law stood then."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import (
    ClockStart,
    DayKind,
    EscalationLevel,
    EventMeta,
    Language,
    ReplyPolicy,
)

# One address, no display name: local part, "@", a domain with a dot (what an SMTP server
# accepts in RCPT TO, without the quoted forms nobody gives an authority).
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
POSTAL_LINES = 8
POSTAL_LINE_LENGTH = 200


def validate_contact(email: str | None, postal_address: str | None) -> None:
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        raise InvalidInput("email", "must be one e-mail address such as registry@ministry.example")
    if postal_address is not None:
        lines = postal_address.splitlines()
        if len(lines) > POSTAL_LINES:
            raise InvalidInput(
                "postal_address", "must have at most {count} lines", count=POSTAL_LINES
            )
        if any(len(line) > POSTAL_LINE_LENGTH for line in lines):
            raise InvalidInput(
                "postal_address",
                "lines must be at most {count} characters",
                count=POSTAL_LINE_LENGTH,
            )


def validate_ladder(levels: list[EscalationLevel]) -> None:
    for index, level in enumerate(levels):
        if not level.action.strip():
            raise InvalidInput(f"escalation_ladder[{index}].action", "must not be empty")
        if not level.addressee.strip():
            raise InvalidInput(f"escalation_ladder[{index}].addressee", "must not be empty")
        if level.wait_days < 1:
            raise InvalidInput(f"escalation_ladder[{index}].wait_days", "must be at least 1")


def validate_policy(period_days: int, urgent_period_days: int) -> None:
    if period_days < 1:
        raise InvalidInput("reply_period_days", "must be at least 1")
    if urgent_period_days < 1:
        raise InvalidInput("urgent_reply_period_days", "must be at least 1")
    if urgent_period_days > period_days:
        raise InvalidInput(
            "urgent_reply_period_days", "must not be longer than the ordinary reply period"
        )


class Authority(Aggregate):
    @event("Registered")
    def __init__(
        self,
        meta: EventMeta,
        name: str,
        kind: str,
        jurisdiction: str,
        parent_id: str | None,
        reply_period_days: int,
        day_kind: str,
        urgent_reply_period_days: int,
        escalation_ladder: list[dict[str, Any]],
        reply_clock_starts: str = ClockStart.SENDING.value,
    ) -> None:
        self.name = name
        self.kind = kind
        self.jurisdiction = jurisdiction
        self.parent_id = parent_id
        self.policies: list[ReplyPolicy] = [
            ReplyPolicy(
                effective_from=date.min,
                period_days=reply_period_days,
                day_kind=DayKind(day_kind),
                urgent_period_days=urgent_reply_period_days,
                clock_starts=ClockStart(reply_clock_starts),
            )
        ]
        self.ladders: list[tuple[date, list[EscalationLevel]]] = [
            (date.min, [EscalationLevel.from_dict(level) for level in escalation_ladder])
        ]
        # where letters and e-mails go, and in which language (none until recorded)
        self.email: str | None = None
        self.postal_address: str | None = None
        self.language = Language.EN

    def policy_on(self, day: date) -> ReplyPolicy:
        in_force = [p for p in self.policies if p.effective_from <= day]
        return in_force[-1]

    def ladder_on(self, day: date) -> list[EscalationLevel]:
        return self.ladder_in_force(day)[1]

    def ladder_in_force(self, day: date) -> tuple[date, list[EscalationLevel]]:
        """The ladder in force on `day` and the date it took effect (date.min: since
        registration)."""
        return [(start, levels) for start, levels in self.ladders if start <= day][-1]

    def change_reply_policy(
        self,
        meta: EventMeta,
        effective_from: date,
        period_days: int,
        day_kind: DayKind,
        urgent_period_days: int,
        clock_starts: ClockStart | None = None,
    ) -> None:
        """`clock_starts` None keeps what starts the reply clock as it was."""
        validate_policy(period_days, urgent_period_days)
        if effective_from < self.policies[-1].effective_from:
            raise InvalidInput(
                "effective_from",
                "must not precede the policy already in force from {day}",
                day=self.policies[-1].effective_from,
            )
        starts = clock_starts or self.policies[-1].clock_starts
        self._change_reply_policy(
            meta, effective_from, period_days, day_kind.value, urgent_period_days, starts.value
        )

    @event("ReplyPolicyChanged")
    def _change_reply_policy(
        self,
        meta: EventMeta,
        effective_from: date,
        period_days: int,
        day_kind: str,
        urgent_period_days: int,
        clock_starts: str = ClockStart.SENDING.value,
    ) -> None:
        self.policies.append(
            ReplyPolicy(
                effective_from,
                period_days,
                DayKind(day_kind),
                urgent_period_days,
                ClockStart(clock_starts),
            )
        )

    def change_escalation_ladder(
        self, meta: EventMeta, effective_from: date, levels: list[EscalationLevel]
    ) -> None:
        validate_ladder(levels)
        if effective_from < self.ladders[-1][0]:
            raise InvalidInput(
                "effective_from",
                "must not precede the ladder already in force from {day}",
                day=self.ladders[-1][0],
            )
        self._change_escalation_ladder(meta, effective_from, [lv.as_dict() for lv in levels])

    @event("EscalationLadderChanged")
    def _change_escalation_ladder(
        self, meta: EventMeta, effective_from: date, levels: list[dict[str, Any]]
    ) -> None:
        self.ladders.append((effective_from, [EscalationLevel.from_dict(lv) for lv in levels]))

    @event("Renamed")
    def rename(self, meta: EventMeta, name: str) -> None:
        self.name = name

    def record_contact(
        self,
        meta: EventMeta,
        email: str | None,
        postal_address: str | None,
        language: Language = Language.EN,
    ) -> None:
        """Replaces the contact details as a whole: a field left out is cleared."""
        email = email.strip() if email else None
        postal_address = postal_address.strip() if postal_address else None
        validate_contact(email, postal_address)
        self._record_contact(meta, email, postal_address, language.value)

    @event("ContactRecorded")
    def _record_contact(
        self, meta: EventMeta, email: str | None, postal_address: str | None, language: str
    ) -> None:
        self.email = email
        self.postal_address = postal_address
        self.language = Language(language)
