"""The one executor: every command, from every entry point, runs here.

It gives the command its event metadata (who, the business date by the commands' one
convention, the command id, the reason), finds its handler in the handler table, saves
what the handler changed, makes a retry idempotent by command id (a retry returns the first
result and appends nothing), turns a lost optimistic-concurrency race into a
ConcurrencyConflict, and logs the outcome with the command id and the aggregate id bound.

The command log row is written by the recorder in the same transaction as the events, so
"stored" and "remembered as done" cannot diverge."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import structlog
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrencyConflict, DomainError, InvalidInput
from domain.tokens import TokenDays
from domain.values import EventMeta
from services.adapters.metrics import count_command
from services.adapters.tracing import current_traceparent, tracer
from services.application.commands.base import Command
from services.application.handlers import HANDLERS
from services.application.handlers.table import Changed, Changes, Context, Letters
from services.application.store import Rectrack, kind_of

log = structlog.get_logger("services.application")

#: How many times a command that names no expected version is run again on the new state
#: after losing a race to another command on the same aggregate.
RACE_ATTEMPTS = 3


class CommandIdReused(InvalidInput):
    """A command id (an API client's Idempotency-Key) already applied to another command:
    a retry must repeat the first request exactly."""

    def __init__(self) -> None:
        super().__init__(
            "command_id",
            "was already used for a different request: a retry must repeat the first request "
            "exactly, and a new request needs a new key",
        )


def command_digest(command: Command, target_id: UUID | None) -> str:
    """What a command asks for (its type, its target and its body), as a digest kept in
    the command log beside its id, so a reused id with another request is told apart from
    a retry."""
    text = f"{type(command).__name__}\n{target_id or ''}\n{command.model_dump_json()}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    def __init__(
        self,
        store: Rectrack,
        clock: Callable[[], date] = date.today,
        *,
        four_eyes: bool = False,
        reference_prefix: str = "NPM",
        token_days: TokenDays | None = None,
        letters: Letters | None = None,
    ) -> None:
        self.store = store
        #: a token's default and longest life, handed to the handlers in their Context
        self.token_days = token_days or TokenDays()
        #: renders and stores the letters GenerateLetter records
        self.letters = letters
        #: the prefix of recommendations' references (RECTRACK_REFERENCE_PREFIX)
        self.reference_prefix = reference_prefix
        self.clock = clock
        #: the four-eyes rule (RECTRACK_FOUR_EYES), handed to the handlers in their Context.
        #: The import's staging (`stage`) records decisions taken elsewhere and is exempt.
        self.four_eyes = four_eyes

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
            trace_parent=current_traceparent(),
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
        context.today = today or self.clock()
        context.pending = pending
        context.reference_prefix = self.reference_prefix
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
        with tracer().start_as_current_span(f"command {type(command).__name__}") as span:
            meta = self.meta(command, caller, command_id, today)
            span.set_attribute("rectrack.command_id", meta.command_id)
            if target_id is not None:
                span.set_attribute(f"rectrack.{command.subject}", str(target_id))
            return self._execute(
                command, caller, meta, target_id, expected_version, today or self.clock()
            )

    def _execute(
        self,
        command: Command,
        caller: Caller,
        meta: EventMeta,
        target_id: UUID | None,
        expected_version: int | None,
        today: date,
    ) -> CommandResult:
        # The bindings are passed to each line rather than bound to a new logger: binding
        # builds a logger per command even when its lines are filtered out.
        name = type(command).__name__
        bound = {"command": name, "command_id": meta.command_id, "actor_id": caller.actor_id}
        if target_id is not None:
            bound[command.subject] = str(target_id)
        try:
            result = self._run(command, meta, target_id, expected_version, today)
        except ConcurrencyConflict as error:
            count_command(name, "conflict")
            log.warning("command refused", **bound, code=error.code, error=str(error))
            raise
        except DomainError as error:
            count_command(name, "refused")
            log.warning("command refused", **bound, code=error.code, error=str(error))
            raise
        except Exception:
            count_command(name, "error")
            raise
        count_command(name, "replayed" if result.replayed else "applied")
        bound[command.subject] = str(result.aggregate_id)
        log.info("command applied", **bound, version=result.version, replayed=result.replayed)
        return result

    def _replayed(self, command_id: str, digest: str) -> CommandResult | None:
        found = self.store.applied(command_id)
        if found is None:
            return None
        if found.digest is not None and found.digest != digest:
            raise CommandIdReused()
        return CommandResult(found.aggregate_id, found.version, found.notification_id, True)

    def _run(
        self,
        command: Command,
        meta: EventMeta,
        target_id: UUID | None,
        expected_version: int | None,
        today: date,
    ) -> CommandResult:
        """The command log is consulted only when the command fails: a retry of a command
        already applied either breaks a rule (it was applied, so the state moved on) or
        collides with its own command-log row on save; both end here with the first
        result. The happy path costs no extra round trip.

        A command that names no expected version and loses a race to another command on
        the same aggregate is run again on the new state (the rules judged afresh), a few
        times; one that names the version it expects has lost, and says so."""
        digest = command_digest(command, target_id)
        attempts = RACE_ATTEMPTS if expected_version is None else 1
        for attempt in range(1, attempts + 1):
            context = Context(
                self.store,
                meta,
                target_id,
                expected_version,
                four_eyes=self.four_eyes,
                reference_prefix=self.reference_prefix,
                today=today,
                token_days=self.token_days,
                letters=self.letters,
            )
            try:
                aggregates, detail = _aggregates(HANDLERS[type(command)](context, command))
            except DomainError:
                replayed = self._replayed(meta.command_id, digest)
                if replayed is not None:
                    return replayed
                raise
            primary = aggregates[0]
            try:
                # The primary aggregate's events go last, so the command's last position
                # in the log is its primary's last event: what a replay of the command
                # finds through the command log (notification_id_of) is the same.
                recordings = self.store.save(
                    *aggregates[1:],
                    primary,
                    command_id=meta.command_id,
                    command_aggregate=(primary.id, primary.version),
                    command_digest=digest,
                )
            except IntegrityError:
                # Either a concurrent retry of this very command won (then return its
                # result), or another command appended to the same aggregate first.
                replayed = self._replayed(meta.command_id, digest)
                if replayed is not None:
                    return replayed
                if attempt < attempts:
                    log.info(
                        "command lost a race; running it again on the new state",
                        command_id=meta.command_id,
                        attempt=attempt,
                    )
                    continue
                raise ConcurrencyConflict(
                    kind_of(type(primary)),
                    primary.id,
                    f"its version moved past {primary.version - 1}",
                ) from None
            last = recordings[-1].notification.id if recordings else None
            return CommandResult(primary.id, primary.version, last, detail=detail)
        raise AssertionError("unreachable")

    def applied(self, command_id: str) -> bool:
        """Whether a command id was already applied: a cheap read that keeps a retried
        workflow activity off the write path altogether."""
        return self.store.applied(command_id) is not None
