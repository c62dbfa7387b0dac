"""What the import's first pass hands the second: the new records' events, encoded as the
store writes them and spilled a batch at a time to a temporary file so that memory
stays flat in the number of rows, with the numbers, authorities, changes and later
replies found; and what the second pass appended (services/spreadsheet_import.py).

A batch is spilled as plain columns (ids as 16 bytes each, versions, topics, the events'
bytes): pickling the staged aggregates themselves cost about an eighth of the import's
CPU, written and read back."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from domain.recommendation import Recommendation
from projections.engine.early import encode_columns
from services.application.references import Block
from services.application.store import CommandRow
from services.spreadsheet_identity import Change

__all__ = ["Checked", "CommandRow", "Outcome", "Spilled"]


@dataclass(frozen=True)
class Spilled:
    """A batch of new records read back for the second pass."""

    events: list[StoredEvent]
    command_rows: list[CommandRow]
    #: how many records, the first one and its first event's command id (for the log
    #: line of a batch that fails)
    records: int
    first_id: UUID
    first_command_id: str


@dataclass
class Checked:
    """What the first pass found: the new rows to store, the changed ones, the numbers."""

    #: how many new records, and the events they make
    new: int = 0
    unchanged: int = 0
    changes: list[Change] = field(default_factory=list)
    #: later replies to stored records, appended without `--update` (new information)
    additions: list[Change] = field(default_factory=list)
    events: int = 0
    sequences: dict[UUID, Aggregate] = field(default_factory=dict)
    #: the numbers the rows took from each sequence (the sequences' own events are
    #: collected after each row, so that memory does not grow with the rows)
    numbers: dict[UUID, Block] = field(default_factory=dict)
    #: authorities staged for the rows that name them, stored before the rows, by name
    authorities: dict[str, Aggregate] = field(default_factory=dict)
    #: encodes staged records' events as the store writes them (Rectrack.encode)
    encode: Callable[[Iterable[Aggregate]], list[StoredEvent]] | None = None
    #: the new records' events, a batch at a time, spilled to a temporary file: the
    #: second pass stores them without holding them all in memory or staging them again
    spill: IO[bytes] = field(default_factory=lambda: _spill_file())
    #: the records staged since the last spill (the last may still get joined rows)
    batch: list[tuple[Recommendation, list[CommandRow]]] = field(default_factory=list)
    #: told each batch's events' offset and size in `spill` once written (the views'
    #: early fold, projections/engine/early.py, reads them there)
    spilled: Callable[[int, int], None] | None = None

    def flush(self) -> None:
        if not self.batch:
            return
        assert self.encode is not None, "Checked needs the store's encode to spill"
        first = self.batch[0][0]
        command_id = first.pending_events[0].meta.command_id  # type: ignore[attr-defined]
        events = self.encode(r for r, _ in self.batch)
        rows = [(c, i.bytes, v, d) for _, entries in self.batch for c, i, v, d in entries]
        columns = (
            b"".join(e.originator_id.bytes for e in events),  # type: ignore[union-attr]
            [e.originator_version for e in events],
            [e.topic for e in events],
            [e.state for e in events],
        )
        offset = self.spill.tell()
        self.spill.write(encode_columns(*columns))
        size = self.spill.tell() - offset
        spilled = (rows, len(self.batch), first.id.bytes, command_id)
        pickle.dump(spilled, self.spill, protocol=pickle.HIGHEST_PROTOCOL)
        self.batch = []
        if self.spilled is not None:
            self.spill.flush()  # for the fold process, which reads the file itself
            self.spilled(offset, size)

    def close(self) -> None:
        self.spill.close()

    def batches(self) -> Iterator[Spilled]:
        self.flush()
        self.spill.seek(0)
        while True:
            try:
                columns = pickle.load(self.spill)
                rows, records, first_id, command_id = pickle.load(self.spill)
            except EOFError:
                return
            ids, versions, topics, states = columns
            cells = enumerate(zip(versions, topics, states, strict=True))
            events = [
                StoredEvent(UUID(bytes=ids[16 * n : 16 * n + 16]), version, topic, state)
                for n, (version, topic, state) in cells
            ]
            command_rows = [(c, UUID(bytes=i), v, d) for c, i, v, d in rows]
            yield Spilled(events, command_rows, records, UUID(bytes=first_id), command_id)

    @property
    def rows(self) -> int:
        return self.new + self.unchanged + len(self.changes)


@dataclass
class Outcome:
    recommendations: int = 0
    events: int = 0
    updated: int = 0
    #: stored records that got later replies
    added: int = 0
    authorities: list[str] = field(default_factory=list)


def _spill_file() -> IO[bytes]:
    # Deleted by the operating system when closed (Checked.close) or when the process ends.
    return tempfile.TemporaryFile(prefix="rectrack-import-")
