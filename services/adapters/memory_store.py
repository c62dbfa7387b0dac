"""The library's in-memory recorder with our command log: the fast test tier runs the
domain and application rules (idempotency by command id, conflicts, every transition) on
it in milliseconds. It keeps the same promise as the PostgreSQL recorder: the command-log
entry is written with the events, under the same lock, or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.utils import get_topic


class MemoryRecorder(POPOApplicationRecorder):
    def __init__(self) -> None:
        super().__init__()
        self._commands: dict[str, tuple[UUID, int, str | None]] = {}
        self._positions: dict[tuple[UUID | str, int], int] = {}

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        command_id: str | None = kwargs.pop("command_id", None)
        command_aggregate: tuple[UUID, int] | None = kwargs.pop("command_aggregate", None)
        command_digest: str | None = kwargs.pop("command_digest", None)
        command_rows: Sequence[tuple[str, UUID, int, str | None]] = kwargs.pop("command_rows", ())
        with self._database_lock:
            if command_id is not None and command_id in self._commands:
                raise IntegrityError(f"command {command_id} was applied already")
            self._assert_uniqueness(stored_events, **kwargs)
            ids = self._update_table(stored_events, **kwargs) or []
            for event, position in zip(stored_events, ids, strict=True):
                self._positions[(event.originator_id, event.originator_version)] = position
            if command_id is not None and command_aggregate is not None:
                self._commands[command_id] = (*command_aggregate, command_digest)
            for row_id, aggregate_id, version, digest in command_rows:
                self._commands[row_id] = (aggregate_id, version, digest)
        self._notify_listeners()
        return ids

    def find_command(self, command_id: str) -> tuple[UUID, int, str | None] | None:
        return self._commands.get(command_id)

    def find_commands(self, command_ids: Sequence[str]) -> dict[str, tuple[UUID, str | None]]:
        return {
            c: (self._commands[c][0], self._commands[c][2])
            for c in command_ids
            if c in self._commands
        }

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None:
        return self._positions.get((originator_id, version))


class MemoryFactory(POPOFactory):
    def application_recorder(self) -> ApplicationRecorder:
        return MemoryRecorder()


MEMORY_ENV = {"PERSISTENCE_MODULE": get_topic(MemoryFactory)}
"""The environment that makes the record store keep everything in memory."""
