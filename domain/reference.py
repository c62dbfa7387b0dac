"""Human references for recommendations: `<prefix>-<year>-<sequence>`, e.g. NPM-2024-0123.

One ReferenceSequence per prefix and year, with a deterministic id, hands out the
numbers. It is saved in the same command as the recommendation it numbers, so two drafts
that take the same number cannot both be stored: the second loses the optimistic
concurrency race on the sequence (a conflict, run again on the new state), never a
duplicate. A new year starts a new sequence at 1.
"""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import EventMeta

PREFIX_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,11}$")
DIGITS = 4


def format_reference(prefix: str, year: int, number: int) -> str:
    """NPM-2024-0123: at least four digits, more once a year passes 9,999."""
    return f"{prefix}-{year}-{number:0{DIGITS}d}"


def check_prefix(prefix: str) -> str:
    if not PREFIX_PATTERN.match(prefix):
        raise InvalidInput(
            "reference_prefix", "must be 1 to 12 capital letters or digits, starting with a letter"
        )
    return prefix


class ReferenceSequence(Aggregate):
    """The numbers given out for one prefix in one year."""

    @staticmethod
    def create_id(prefix: str, year: int, **_: object) -> UUID:
        return uuid5(NAMESPACE_URL, f"rectrack:reference-sequence:{prefix}:{year}")

    @event("Started")
    def __init__(self, prefix: str, year: int) -> None:
        self.prefix = check_prefix(prefix)
        self.year = year
        self.last = 0

    def allocate(self, meta: EventMeta, count: int = 1) -> list[str]:
        """The next `count` references, taken in one event."""
        if count < 1:
            raise InvalidInput("count", "must be at least 1")
        first = self.last + 1
        self._allocate(meta, first, count)
        return [format_reference(self.prefix, self.year, n) for n in range(first, first + count)]

    @event("Allocated")
    def _allocate(self, meta: EventMeta, first: int, count: int) -> None:
        self.last = first + count - 1
