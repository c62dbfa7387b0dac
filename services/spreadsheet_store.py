"""The import's second pass: store what the check pass staged.

Apart from the check pass (spreadsheet_check.py) because it runs only on a file with no
problem, and its cost is the store's: the new authorities first (the rows refer to
them), the reference numbers, then the spilled batches saved many per transaction on
`workers` connections; later replies of stored records and, with `--update`, changed
records go through the executor one command at a time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from uuid import UUID

import structlog
from eventsourcing.persistence import StoredEvent

from domain.errors import DomainError
from services.application.commands.base import Command
from services.application.references import save_blocks
from services.spreadsheet_authorities import authority_command_id
from services.spreadsheet_check import CheckPass
from services.spreadsheet_identity import Change
from services.spreadsheet_problems import ImportRejected, Problem
from services.spreadsheet_staged import Checked, CommandRow, Outcome

log = structlog.get_logger(__name__)


class StorePass(CheckPass):
    """The second pass, on the state the first left (`self` is the importer)."""

    def store_checked(
        self, checked: Checked, progress: Callable[[int, int], None] | None = None
    ) -> Outcome:
        """Registers the new authorities, stores the new records in batches and, with
        `update`, records the changes. Returns what was appended."""
        outcome = Outcome()
        bound = log.bind(command_id="import", source=self.source)
        for name, authority in checked.authorities.items():
            # Stored as staged (the rows refer to its id), under its own command id.
            self.store.save_batch([authority], authority_command_id(name))
            outcome.authorities.append(name)
        if checked.new:
            try:
                numbered = save_blocks(self.store, checked.numbers.values(), "import:numbers")
            except DomainError as error:
                rule = getattr(error, "rule", str(error))
                raise ImportRejected([Problem(0, "file", rule)]) from None
            bound.info("import numbered", reference_events=numbered)
            # each batch's size, and its first record and that record's command id
            handed: deque[tuple[int, UUID, str]] = deque()

            def batches() -> Iterator[tuple[list[StoredEvent], list[CommandRow]]]:
                for batch in checked.batches():
                    handed.append((batch.records, batch.first_id, batch.first_command_id))
                    yield batch.events, batch.command_rows

            saved = self.store.save_encoded_batches(batches(), workers=self.options.workers)
            while True:
                try:
                    count = next(saved)
                except StopIteration:
                    break
                except Exception:
                    # What was saved stays saved; the same file again stores the rest.
                    size, first, command_id = handed[0]
                    bound.exception(
                        "import batch failed",
                        command_id=command_id,
                        recommendation_id=str(first),
                        batch_size=size,
                        saved_recommendations=outcome.recommendations,
                    )
                    raise
                outcome.events += count
                outcome.recommendations += handed.popleft()[0]
                if progress is not None:
                    progress(outcome.recommendations, checked.new)
        for change in checked.additions:
            outcome.events += self._update(change, change.additions)
            outcome.added += 1
        if self.options.update:
            for change in checked.changes:
                outcome.events += self._update(change, change.commands + change.additions)
                outcome.updated += 1
        bound.info(
            "import saved",
            recommendations=outcome.recommendations,
            events=outcome.events,
            updated=outcome.updated,
            added=outcome.added,
        )
        return outcome

    def _update(self, change: Change, commands: list[Command]) -> int:
        """Records one changed row (or a stored record's later reply) through the
        executor, the last command under the row's content key, so that the same row
        imported again is unchanged."""
        appended = 0
        for index, command in enumerate(commands):
            last = index == len(commands) - 1
            result = self.executor.execute(
                command,
                self.caller,
                command_id=change.key if last else f"{change.key}:{index}",
                target_id=change.recommendation_id,
                today=self._day(change, command),
            )
            appended += 0 if result.replayed else 1
        return appended
