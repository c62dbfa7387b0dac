"""The handler table: one handler per command type, and what a handler is given.

A handler takes the command's Context and the command, changes aggregates through their
decorated methods, and returns what it changed; the executor saves it. Handlers never
save, log or catch: that is the executor's one job."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import ConcurrencyConflict, InvalidInput, NotFound
from domain.letters import LetterContent, Letterhead, StoredLetterDocument
from domain.tokens import TokenDays
from domain.values import EventMeta
from services.application.commands.base import Command
from services.application.store import Rectrack, kind_of

A = TypeVar("A", bound=Aggregate)
C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class Changed:
    """Aggregates a handler changed, plus a value for the caller (a new token's secret)."""

    aggregates: Sequence[Aggregate]
    detail: object = None


Changes = Aggregate | Sequence[Aggregate] | Changed


class Letters(Protocol):
    """Renders a letter and stores its documents (services/adapters/letters.py)."""

    letterhead: Letterhead

    def press(self, letter: LetterContent) -> list[StoredLetterDocument]: ...


@dataclass
class Context:
    """What a handler gets besides its command: the store, the event metadata, the target
    of a targeted command and the version the caller expects it at. `pending` holds
    aggregates changed but not yet saved (the import stages several commands on a new
    recommendation before one batched save), and loads see them first."""

    store: Rectrack
    meta: EventMeta
    target_id: UUID | None = None
    expected_version: int | None = None
    pending: dict[UUID, Aggregate] = field(default_factory=dict)
    #: the four-eyes rule (RECTRACK_FOUR_EYES), handed on to the aggregate methods it binds
    four_eyes: bool = False
    #: the prefix of recommendations' references (RECTRACK_REFERENCE_PREFIX)
    reference_prefix: str = "NPM"
    #: the day the command is run (the executor's clock), whatever its business date
    today: date | None = None
    #: a token's default and longest life (RECTRACK_TOKEN_DEFAULT_DAYS, _MAX_DAYS)
    token_days: TokenDays = field(default_factory=TokenDays)
    #: renders and stores letters (None where the process has no document store)
    letters: Letters | None = None

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        staged = self.pending.get(aggregate_id)
        if isinstance(staged, cls):
            return staged
        return self.store.get(cls, aggregate_id)

    def reference(self, cls: type[A], aggregate_id: UUID, field_name: str) -> A:
        """An aggregate the command's body refers to (not its target): an unknown id is
        bad input naming the field, not a missing resource."""
        try:
            return self.load(cls, aggregate_id)
        except NotFound:
            raise InvalidInput(field_name, "no {kind} with this id", kind=kind_of(cls)) from None

    def target(self, cls: type[A]) -> A:
        """The aggregate the command acts on, at the version the caller expects."""
        if self.target_id is None:
            raise InvalidInput("id", "is required for this command")
        aggregate = self.load(cls, self.target_id)
        expected = self.expected_version
        if expected is not None and aggregate.version != expected:
            raise ConcurrencyConflict(
                kind_of(cls),
                aggregate.id,
                f"expected version {expected}, it is at version {aggregate.version}",
            )
        return aggregate


Handler = Callable[[Context, Any], Changes]

HANDLERS: dict[type[Command], Handler] = {}


def handles(command_type: type[C]) -> Callable[[Callable[[Context, C], Changes]], Handler]:
    """Enter the decorated function in the handler table as the handler of `command_type`."""

    def enter(handler: Callable[[Context, C], Changes]) -> Handler:
        if command_type in HANDLERS:
            raise RuntimeError(f"{command_type.__name__} has a handler already")
        HANDLERS[command_type] = handler
        return handler

    return enter
