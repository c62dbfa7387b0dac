"""What a spreadsheet says happened to a recommendation after it was made: the replies
(several over time, with or without a position), the assessment, the closure; and the
later rows of a recommendation, joined to its first row by external id.

A source that tracks replies over time (an accident investigator's register, a UPR
follow-up table) writes one row per reply, repeating the recommendation's columns. The
first row with an external id makes the recommendation; each later row with the same id
adds what it says happened (its reply, assessment, closure) to that recommendation, in
the order of the rows. A later row may leave the recommendation's own columns empty; one
it fills must say the same as the first row, or the file is refused naming both rows.

Every imported recommendation is a historic record as of the import day
(`historic_before`, domain/origin.py): a reply or implementation date that had passed
before the import never starts a reminder or an escalation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol
from uuid import UUID

from domain.errors import InvalidInput
from domain.recommendation import Recommendation
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    AssessImplementation,
    CloseRecommendation,
    RecordResponse,
)

RESPONSE_COLUMNS = (
    "response_received_on",
    "response_position",
    "response_text",
    "agreed_implementation_date",
)
ASSESSMENT_COLUMNS = (
    "implementation",
    "non_implementation_reason",
    "verified",
    "verification_method",
    "assessed_on",
)
CLOSURE_COLUMNS = ("closed_on", "closure_reason")
EVENT_COLUMNS = frozenset((*RESPONSE_COLUMNS, *ASSESSMENT_COLUMNS, *CLOSURE_COLUMNS))
"""The columns of what happened: each row has its own. Every other column describes the
recommendation and is the same on each of its rows."""


class Stage(Protocol):
    """Stages one command of the row on its recommendation (the import's _RowStager)."""

    def __call__(
        self,
        step: str,
        build: Callable[[], Command],
        target_id: UUID | None = None,
        today: date | None = None,
    ) -> Recommendation: ...


def stage_what_happened(stage: Stage, row: Any, recommendation_id: UUID, reason: str) -> None:
    """Stage the reply, the assessment and the closure a row records (each only when its
    columns say so), checked by the commands and the domain like any other."""
    response = (row.response_received_on, row.response_text)
    if any(value is not None for value in response) or (
        row.response_position or row.agreed_implementation_date
    ):
        for name, value in zip(("response_received_on", "response_text"), response, strict=True):
            if value is None:
                raise InvalidInput(name, "is required when the row records a response")
        _issued(row, "a response")
        received_on, text = response
        stage(
            "response",
            lambda: RecordResponse(
                received_on=received_on,
                position=row.response_position,  # none: no position yet
                text=text,
                agreed_implementation_date=row.agreed_implementation_date,
                reason=reason,
            ),
            recommendation_id,
        )
    if row.implementation is not None or row.assessed_on is not None:
        if row.implementation is None:
            raise InvalidInput("implementation", "is required when the row has assessed_on")
        _issued(row, "an assessment")
        status = row.implementation
        stage(
            "assess",
            lambda: AssessImplementation(
                status=status,
                non_implementation_reason=row.non_implementation_reason,
                verified=row.verified,
                verification_method=row.verification_method,
                assessed_on=row.assessed_on,
                reason=reason,
            ),
            recommendation_id,
        )
    elif row.non_implementation_reason is not None or row.verified:
        raise InvalidInput(
            "implementation", "is required when the row says why or how it was verified"
        )
    if row.closed_on is not None:
        _issued(row, "a closure")
        why = row.closure_reason or f"closed on {row.closed_on.isoformat()} ({reason})"
        stage(
            "close",
            lambda: CloseRecommendation(reason=why),
            recommendation_id,
            row.closed_on,
        )
    elif row.closure_reason is not None:
        raise InvalidInput("closed_on", "is required when the row gives a closure_reason")


def _issued(row: Any, what: str) -> None:
    if row.issued_on is None:
        raise InvalidInput("issued_on", f"is required when the row records {what}")


@dataclass
class FirstRow:
    number: int
    values: dict[str, str]
    recommendation: Recommendation


@dataclass
class RowGroups:
    """The first row of each external id seen so far in the file."""

    first: dict[str, FirstRow] = field(default_factory=dict)

    def of(self, values: dict[str, str]) -> FirstRow | None:
        external_id = values.get("external_id")
        return self.first.get(external_id) if external_id else None

    def remember(self, number: int, values: dict[str, str], recommendation: Recommendation) -> None:
        external_id = values.get("external_id")
        if external_id and external_id not in self.first:
            self.first[external_id] = FirstRow(number, values, recommendation)


def later_row(first: FirstRow, values: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """A later row of `first`'s recommendation: its values with the recommendation's
    columns it left empty taken from the first row (its own columns of what happened
    only), and the columns it fills differently from the first row."""
    described = {k: v for k, v in first.values.items() if k not in EVENT_COLUMNS}
    differing = [
        column
        for column, value in values.items()
        if column not in EVENT_COLUMNS and column in described and described[column] != value
    ]
    differing += [
        column for column in values if column not in EVENT_COLUMNS and column not in described
    ]
    own = {k: v for k, v in values.items() if k in EVENT_COLUMNS}
    return described | own, differing
