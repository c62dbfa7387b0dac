"""Saving the reference numbers a batch of staged drafts took (the spreadsheet import).

The import stages every row's draft on shared, unsaved reference sequences (one event
per number); before the recommendations are stored, `save_numbers` stores what they
took as one event per sequence, so that no recommendation is ever stored with a number
its sequence does not know (a later draft cannot take it again)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput
from domain.reference import ReferenceSequence
from services.application.store import Rectrack


def _taken(sequence: ReferenceSequence) -> list[Any]:
    return [e for e in sequence.pending_events if type(e).__qualname__.endswith(".Allocated")]


def save_numbers(store: Rectrack, staged: Iterable[Aggregate], command_id: str) -> int:
    """Store the numbers the staged sequences gave out, one event per sequence, under
    `command_id` plus the first numbers (a run again after an interruption numbers what
    was not stored afresh: gaps, never a duplicate). Refused (InvalidInput on `file`)
    when anyone took numbers of the same year since the staging. Returns the events
    stored."""
    blocks: list[Aggregate] = []
    firsts = []
    for planned in staged:
        if not isinstance(planned, ReferenceSequence):
            continue
        taken = _taken(planned)
        if not taken:
            continue
        first = min(int(e.first) for e in taken)
        stored = store.find(ReferenceSequence, planned.id) or ReferenceSequence(
            prefix=planned.prefix, year=planned.year
        )
        if stored.last != first - 1:
            raise InvalidInput(
                "file",
                f"recommendations of {planned.year} were drafted while the file was checked, "
                "and took its reference numbers: import it again",
            )
        stored.allocate(
            replace(taken[-1].meta, reason="reference numbers of an import"), len(taken)
        )
        blocks.append(stored)
        firsts.append(f"{planned.prefix}-{planned.year}-{first}")
    if not blocks:
        return 0
    return store.save_batch(blocks, f"{command_id}:{','.join(firsts)}")
