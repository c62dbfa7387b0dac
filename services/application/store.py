"""The record store: the eventsourcing application over PostgreSQL, with our transcodings
and the command log that makes commands idempotent. It loads and saves aggregates and
answers the calendar questions handlers need; it runs no command itself (the executor
does)."""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from copy import deepcopy
from datetime import date
from functools import partial
from threading import Lock
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from domain.authority import Authority
from domain.calendar import ClosureCalendar
from domain.deadlines import WorkingCalendar, reply_due
from domain.errors import NotFound
from domain.recommendation import Recommendation
from domain.reference import ReferenceSequence
from domain.transcodings import ALL_TRANSCODINGS
from services.adapters.event_json import ExactJSONTranscoder

A = TypeVar("A", bound=Aggregate)
#: a command-log entry written with a batch: (command id, aggregate, version, digest)
CommandRow = tuple[str, UUID, int, str | None]


@runtime_checkable
class CommandLog(Protocol):
    """The part of the recorder that remembers which commands were already applied."""

    def find_command(self, command_id: str) -> tuple[UUID, int, str | None] | None:
        """The aggregate and version a command left, and the digest of the command."""
        ...

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None: ...

    def find_commands(self, command_ids: Sequence[str]) -> dict[str, tuple[UUID, str | None]]:
        """Which of these command ids were applied, with the aggregate each left and the
        digest kept with it."""
        ...


def kind_of(cls: type[Aggregate]) -> str:
    """The name errors use for an aggregate class: ClosureCalendar -> "closure calendar"."""
    name = cls.__name__
    return "".join(f" {c.lower()}" if c.isupper() else c for c in name).strip()


class Applied(NamedTuple):
    """A command already applied: what it left, where its last event is in the log, and
    the digest of the command (None for the import's batches and older entries)."""

    aggregate_id: UUID
    version: int
    notification_id: int | None
    digest: str | None


class FollowingRepository(Repository[UUID]):
    """The library's repository, keeping the latest state of the aggregates of `FOLLOWED`
    and reading only their events after it: a reference sequence gains an event with
    every draft and is read by every draft, so rebuilding it from its first event made
    each draft dearer than the one before (issue #16).

    What is kept was read from committed events only, never the copy a handler changes,
    so a command that is refused or loses a race leaves nothing behind; the next read
    still asks the database for any later events, so another process's drafts are seen.
    When the library's own aggregate cache is configured (`rectrack up`'s demo load), it
    is used instead."""

    FOLLOWED: tuple[type[Aggregate], ...] = (ReferenceSequence,)
    #: aggregates kept (one sequence per prefix and year; a few suffice)
    CAPACITY = 64

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._followed: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._followed_lock = Lock()

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: Any = project_aggregate,
        **kwargs: Any,
    ) -> Any:
        if self.cache is not None or version is not None:
            return super().get(
                aggregate_id, version=version, projector_func=projector_func, **kwargs
            )
        with self._followed_lock:
            kept = self._followed.get(aggregate_id)
        if kept is None:
            aggregate = super().get(aggregate_id, projector_func=projector_func)
            if not isinstance(aggregate, self.FOLLOWED):
                return aggregate
        else:
            new_events = self.event_store.get(originator_id=aggregate_id, gt=kept.version)
            aggregate = projector_func(deepcopy(kept), new_events)
        latest = deepcopy(aggregate)
        with self._followed_lock:
            # Of two threads' reads, the later version is kept: both were committed.
            kept = self._followed.get(aggregate_id)
            if kept is None or kept.version <= latest.version:
                self._followed[aggregate_id] = latest
            self._followed.move_to_end(aggregate_id)
            while len(self._followed) > self.CAPACITY:
                self._followed.popitem(last=False)
        return aggregate


class Rectrack(Application[UUID]):
    name = "rectrack"
    is_snapshotting_enabled = False

    def construct_repository(self) -> Repository[UUID]:
        library = super().construct_repository()
        return FollowingRepository(
            event_store=library.event_store,
            snapshot_store=library.snapshot_store,
            cache_maxsize=None if library.cache is None else self._cache_maxsize(),
            fastforward=library.fastforward,
            fastforward_skipping=library.fastforward_skipping,
            deepcopy_from_cache=library.deepcopy_from_cache,
        )

    def _cache_maxsize(self) -> int:
        return int(self.env.get(self.AGGREGATE_CACHE_MAXSIZE) or 0)

    def construct_transcoder(self) -> Transcoder:
        """The library's JSON, written by orjson where the bytes are the same (about a
        fifth of the import's checking was the library's encoding); a transcoder the
        environment names (TRANSCODER_TOPIC) as the library would."""
        if self.factory.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = ExactJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in ALL_TRANSCODINGS:
            transcoder.register(transcoding)

    @property
    def command_log(self) -> CommandLog | None:
        recorder = self.recorder
        return recorder if isinstance(recorder, CommandLog) else None

    def applied(self, command_id: str) -> Applied | None:
        """What a command already applied left, or None."""
        log = self.command_log
        if log is None:
            return None
        found = log.find_command(command_id)
        if found is None:
            return None
        aggregate_id, version, digest = found
        return Applied(aggregate_id, version, log.notification_id_of(aggregate_id, version), digest)

    # --- reading aggregates ----------------------------------------------------------------

    def get(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        """The aggregate of this class, or NotFound naming the kind and the id."""
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(kind_of(cls), aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind_of(cls), aggregate_id)
        return aggregate

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            return self.get(cls, aggregate_id)
        except NotFound:
            return None

    # --- calendars and deadlines -----------------------------------------------------------

    @contextmanager
    def cached_calendars(self) -> Iterator[None]:
        """While open, each jurisdiction's closure calendar is read once (the import checks
        thousands of rows against the same few calendars; nothing records closure days
        in the meantime in its process)."""
        self._calendars: dict[str, WorkingCalendar] | None = {}
        try:
            yield
        finally:
            self._calendars = None

    def working_calendar(self, jurisdiction: str) -> WorkingCalendar:
        cache = getattr(self, "_calendars", None)
        if cache is not None:
            if jurisdiction not in cache:
                cache[jurisdiction] = self._working_calendar(jurisdiction)
            return cache[jurisdiction]
        return self._working_calendar(jurisdiction)

    def _working_calendar(self, jurisdiction: str) -> WorkingCalendar:
        closures = self.find(ClosureCalendar, ClosureCalendar.create_id(jurisdiction))
        if closures is None:
            return WorkingCalendar(jurisdiction)
        return WorkingCalendar(jurisdiction, closures.closure_days.keys())

    def reply_due(self, authority: Authority, start: date, *, urgent: bool) -> date:
        policy = authority.policy_on(start)
        period = policy.urgent_period_days if urgent else policy.period_days
        return reply_due(
            start, period, policy.day_kind, self.working_calendar(authority.jurisdiction)
        )

    # --- the import's batched path ---------------------------------------------------------

    def external_ids_after(self, position: int) -> dict[UUID, str | None]:
        """The recommendations drafted, or given another external id, after this
        position in the log, each with its latest external id: what a view that has
        projected up to the position does not know yet (an import matches rows to
        records drafted moments before through the API)."""
        # the classes the @event decorators define, unseen by mypy
        drafted, origin = Recommendation.Drafted, Recommendation.OriginRecorded  # type: ignore[attr-defined]
        topics = [get_topic(drafted), get_topic(origin)]
        found: dict[UUID, str | None] = {}
        while page := self.recorder.select_notifications(
            position, 1000, topics=topics, inclusive_of_start=False
        ):
            for notification in page:
                event = self.mapper.to_domain_event(notification)
                found[event.originator_id] = getattr(event, "external_id", None)
            position = page[-1].id
        return found

    def known_commands(self, command_ids: Sequence[str]) -> dict[str, tuple[UUID, str | None]]:
        """Which of these command ids were applied, with the aggregate each left and the
        digest kept with it."""
        log = self.command_log
        return {} if log is None or not command_ids else log.find_commands(command_ids)

    def save_batch(
        self,
        aggregates: Sequence[Aggregate],
        command_id: str | None,
        command_rows: Sequence[tuple[str, UUID, int, str | None]] = (),
    ) -> int:
        """Save many aggregates in one transaction: the import path. Returns the number
        of events stored. Idempotent by command id like any command; `command_rows` are
        more command-log entries (id, aggregate, version, digest) written in the same
        transaction (the import's one entry per record)."""
        if command_id is not None and self.applied(command_id) is not None:
            return 0
        first = aggregates[0]
        recordings = self.save(
            *aggregates,
            command_id=command_id,
            command_aggregate=(first.id, first.version),
            command_rows=command_rows,
        )
        return len(recordings)

    def save_batches(
        self,
        batches: Iterable[
            tuple[str | None, Sequence[Aggregate]]
            | tuple[str | None, Sequence[Aggregate], Sequence[CommandRow]]
        ],
        *,
        workers: int = 2,
    ) -> Iterator[int]:
        """Save independent batches (no aggregate in two of them) on `workers` threads and
        yield each batch's event count in order. While one transaction holds the events
        table's lock, the next batch is being serialised, so the CPU-bound encoding in
        Python overlaps the database's work instead of waiting for it."""
        jobs = (
            partial(self.save_batch, aggregates, command_id, *rows)
            for command_id, aggregates, *rows in batches
        )
        return _in_order(jobs, workers)

    def encode(self, aggregates: Iterable[Aggregate]) -> list[StoredEvent]:
        """The aggregates' pending events as the store writes them; the aggregates forget
        them. The import encodes while it checks, so that what it keeps until it stores
        is bytes (cheap to spill and read back), not aggregates."""
        to_stored = self.mapper.to_stored_event
        return [to_stored(event) for a in aggregates for event in a.collect_events()]

    def save_encoded_batches(
        self,
        batches: Iterable[tuple[Sequence[StoredEvent], Sequence[CommandRow]]],
        *,
        workers: int = 2,
    ) -> Iterator[int]:
        """Save batches of encoded events (`encode`), each with its command-log rows, one
        transaction each, on `workers` threads: while one transaction holds the events
        table's lock, the next is sent. Yields each batch's event count in order."""
        jobs = (partial(self._insert_encoded, events, rows) for events, rows in batches)
        return _in_order(jobs, workers)

    def _insert_encoded(self, events: Sequence[StoredEvent], rows: Sequence[CommandRow]) -> int:
        self.recorder.insert_events(events, command_rows=rows)
        return len(events)


def _in_order(jobs: Iterable[Callable[[], int]], workers: int) -> Iterator[int]:
    """Runs the jobs on `workers` threads, at most one more pending than there are
    threads, and yields their results in the jobs' order (a job's error is raised there)."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import") as pool:
        pending: deque[Future[int]] = deque()
        for job in jobs:
            pending.append(pool.submit(job))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
