"""What the import's first pass hands the second: the new records as staged, pickled a
batch at a time to a temporary file so that memory stays flat in the number of rows,
with the numbers, authorities, changes and later replies found; and what the second
pass appended (services/spreadsheet_import.py)."""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.recommendation import Recommendation
from services.application.references import Block
from services.spreadsheet_identity import Change

#: a command-log entry written with a record: (command id, aggregate, version, digest)
CommandRow = tuple[str, UUID, int, str | None]


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
    #: the new records as staged, a batch at a time, pickled to a temporary file: the
    #: second pass stores them without holding them all in memory or staging them again
    spill: IO[bytes] = field(default_factory=lambda: _spill_file())
    batch: list[tuple[Recommendation, list[CommandRow]]] = field(default_factory=list)

    def flush(self) -> None:
        if self.batch:
            pickle.dump(self.batch, self.spill, protocol=pickle.HIGHEST_PROTOCOL)
            self.batch = []

    def close(self) -> None:
        self.spill.close()

    def batches(self) -> Iterator[list[tuple[Recommendation, list[CommandRow]]]]:
        self.flush()
        self.spill.seek(0)
        while True:
            try:
                yield pickle.load(self.spill)
            except EOFError:
                return

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
