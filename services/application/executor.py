"""The one executor: every command, from every entry point, runs here.

It gives the command its event metadata (who, the business date by the commands' one
convention, the command id, the reason), finds its handler in the handler table, saves
what the handler changed, makes a retry idempotent by command id (a retry returns the first
result and appends nothing), turns a lost optimistic-concurrency race into a
ConcurrencyConflict, and logs the outcome with the command id and the aggregate id bound.

The command log row is written by the recorder in the same transaction as the events, so
"stored" and "remembered as done" cannot diverge."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrencyConflict, DomainError
from domain.values import EventMeta
from services.application.commands.base import Command
from services.application.handlers import HANDLERS
from services.application.handlers.table import Changed, Changes, Context
from services.application.store import Rectrack, kind_of

log = structlog.get_logger("services.application")


@dataclass(frozen=True)
class Caller:
    """Who runs a command: a user id (or a system actor's name) and the role acted in."""

    actor_id: str
    role: str


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the aggregate it touched, the version it left it at, the
    position of its last event in the notification log (for read-your-writes), and what
    the handler returned beside the aggregates (a new token), never on a replay."""

    aggregate_id: UUID
    version: int
    notification_id: int | None
    replayed: bool = False
    detail: object = None


def _aggregates(changes: Changes) -> tuple[list[Aggregate], object]:
    if isinstance(changes, Aggregate):
        return [changes], None
    if isinstance(changes, Changed):
        return list(changes.aggregates), changes.detail
    return list(changes), None


class Executor:
    def __init__(self, store: Rectrack, clock: Callable[[], date] = date.today) -> None:
        self.store = store
        self.clock = clock

    def meta(
        self,
        command: Command,
        caller: Caller,
        command_id: str | None = None,
        today: date | None = None,
    ) -> EventMeta:
        """The event metadata of a command: the business date is the command's own dated
        field when it has one and it is given, else today."""
        day = today or self.clock()
        dated = getattr(command, command.dated_by) if command.dated_by else None
        return EventMeta(
            actor_id=caller.actor_id,
            actor_role=caller.role,
            business_date=dated or day,
            command_id=command_id or str(uuid.uuid4()),
            reason=command.reason,
        )

    def stage(
        self,
        command: Command,
        caller: Caller,
        *,
        command_id: str,
        today: date | None = None,
        target_id: UUID | None = None,
        pending: dict[UUID, Aggregate],
    ) -> list[Aggregate]:
        """Run the command's handler on `pending` and save nothing: the import checks and
        collects many commands this way, then saves them in batches."""
        context = Context(self.store, self.meta(command, caller, command_id, today), target_id)
        context.pending = pending
        aggregates, _ = _aggregates(HANDLERS[type(command)](context, command))
        for aggregate in aggregates:
            pending[aggregate.id] = aggregate
        return aggregates

    def execute(
        self,
        command: Command,
        caller: Caller,
        *,
        command_id: str | None = None,
        today: date | None = None,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        meta = self.meta(command, caller, command_id, today)
        bound = log.bind(
            command=type(command).__name__, command_id=meta.command_id, actor_id=caller.actor_id
        )
        if target_id is not None:
            bound = bound.bind(**{command.subject: str(target_id)})
        try:
            result = self._run(command, meta, target_id, expected_version)
        except DomainError as error:
            bound.warning("command refused", code=error.code, error=str(error))
            raise
        bound.info(
            "command applied",
            **{command.subject: str(result.aggregate_id)},
            version=result.version,
            replayed=result.replayed,
        )
        return result

    def _replayed(self, command_id: str) -> CommandResult | None:
        found = self.store.applied(command_id)
        if found is None:
            return None
        aggregate_id, version, notification_id = found
        return CommandResult(aggregate_id, version, notification_id, replayed=True)

    def _run(
        self,
        command: Command,
        meta: EventMeta,
        target_id: UUID | None,
        expected_version: int | None,
    ) -> CommandResult:
        """The command log is consulted only when the command fails: a retry of a command
        already applied either breaks a rule (it was applied, so the state moved on) or
        collides with its own command-log row on save; both end here with the first
        result. The happy path costs no extra round trip."""
        context = Context(self.store, meta, target_id, expected_version)
        try:
            aggregates, detail = _aggregates(HANDLERS[type(command)](context, command))
        except DomainError:
            replayed = self._replayed(meta.command_id)
            if replayed is not None:
                return replayed
            raise
        primary = aggregates[0]
        try:
            recordings = self.store.save(
                *aggregates,
                command_id=meta.command_id,
                command_aggregate=(primary.id, primary.version),
            )
        except IntegrityError:
            # Either a concurrent retry of this very command won (then return its result),
            # or another command appended to the same aggregate first.
            replayed = self._replayed(meta.command_id)
            if replayed is not None:
                return replayed
            raise ConcurrencyConflict(
                kind_of(type(primary)), primary.id, f"its version moved past {primary.version - 1}"
            ) from None
        last = recordings[-1].notification.id if recordings else None
        return CommandResult(primary.id, primary.version, last, detail=detail)

    def applied(self, command_id: str) -> bool:
        """Whether a command id was already applied: a cheap read that keeps a retried
        workflow activity off the write path altogether."""
        return self.store.applied(command_id) is not None
