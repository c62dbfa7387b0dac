"""Saving the reference numbers a batch of staged drafts took (the spreadsheet import).

The import stages every row's draft on shared, unsaved reference sequences (one event
per number, tallied as a Block per sequence); before the recommendations are stored,
`save_blocks` stores what they took as one event per sequence, so that no
recommendation is ever stored with a number its sequence does not know (a later draft
cannot take it again)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput
from domain.reference import ReferenceSequence
from domain.values import EventMeta
from services.application.store import Rectrack


@dataclass(frozen=True)
class Block:
    """Numbers a staging took from one sequence: `count` from `first` on."""

    prefix: str
    year: int
    first: int
    count: int
    meta: EventMeta


def taken(sequence: ReferenceSequence) -> Block | None:
    """What the staged sequence's pending events took, or None."""
    events: list[Any] = [
        e for e in sequence.pending_events if type(e).__qualname__.endswith(".Allocated")
    ]
    if not events:
        return None
    return Block(
        sequence.prefix,
        sequence.year,
        min(int(e.first) for e in events),
        sum(int(e.count) for e in events),
        events[-1].meta,
    )


def merged(earlier: Block | None, later: Block) -> Block:
    """Two blocks of the same sequence, taken one after the other, as one."""
    if earlier is None:
        return later
    return replace(earlier, count=earlier.count + later.count, meta=later.meta)


def save_blocks(store: Rectrack, blocks: Iterable[Block], command_id: str) -> int:
    """Store the numbers taken, one event per sequence, under `command_id` plus the first
    numbers (a run again after an interruption numbers what was not stored afresh: gaps,
    never a duplicate). Refused (InvalidInput on `file`) when anyone took numbers of the
    same year since the staging. Returns the events stored."""
    stored_blocks: list[Aggregate] = []
    firsts = []
    for block in blocks:
        sequence_id = ReferenceSequence.create_id(block.prefix, block.year)
        stored = store.find(ReferenceSequence, sequence_id) or ReferenceSequence(
            prefix=block.prefix, year=block.year
        )
        if stored.last != block.first - 1:
            raise InvalidInput(
                "file",
                "recommendations of {year} were drafted while the file was checked, and took its "
                "reference numbers: import it again",
                year=block.year,
            )
        stored.allocate(replace(block.meta, reason="reference numbers of an import"), block.count)
        stored_blocks.append(stored)
        firsts.append(f"{block.prefix}-{block.year}-{block.first}")
    if not stored_blocks:
        return 0
    return store.save_batch(stored_blocks, f"{command_id}:{','.join(firsts)}")
