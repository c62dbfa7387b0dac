"""The application service: loads aggregates, runs one command on them, saves the events.

Every command runs through `_execute`, which makes it idempotent by command id (a retry
returns the first result and appends nothing) and turns a lost optimistic-concurrency
race into a ConcurrencyConflict. The command log row is written by the recorder in the
same transaction as the events, so "stored" and "remembered as done" cannot diverge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from domain.authority import Authority, validate_ladder, validate_policy
from domain.calendar import ClosureCalendar
from domain.deadlines import WorkingCalendar, is_known_jurisdiction, reply_due
from domain.errors import ConcurrencyConflict, DomainError, InvalidInput, NotFound
from domain.place import Place
from domain.recommendation import TAG_FIELDS, Recommendation, _clean_tags
from domain.report import Report
from domain.task_commands import TaskCommands
from domain.transcodings import ALL_TRANSCODINGS
from domain.user_commands import UserCommands
from domain.values import (
    DayKind,
    EscalationLevel,
    EventMeta,
    FollowUpKind,
    ImplementationStatus,
    Level,
    NonImplementationReason,
    PlaceType,
    Position,
    RecommendationKind,
    ReportKind,
    VisitKind,
)
from domain.visit import Visit

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class CommandResult:
    """What a command did: the aggregate it touched, the version it left it at, and the
    position of its last event in the notification log (for read-your-writes)."""

    aggregate_id: UUID
    version: int
    notification_id: int | None
    replayed: bool = False


@runtime_checkable
class CommandLog(Protocol):
    """The part of the recorder that remembers which commands were already applied."""

    def find_command(self, command_id: str) -> tuple[UUID, int] | None: ...

    def notification_id_of(self, originator_id: UUID, version: int) -> int | None: ...


class Rectrack(TaskCommands, UserCommands, Application[UUID]):
    name = "rectrack"
    is_snapshotting_enabled = False

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in ALL_TRANSCODINGS:
            transcoder.register(transcoding)

    # --- plumbing --------------------------------------------------------------------------

    @property
    def command_log(self) -> CommandLog | None:
        recorder = self.recorder
        return recorder if isinstance(recorder, CommandLog) else None

    def _replayed(self, command_id: str) -> CommandResult | None:
        log = self.command_log
        if log is None:
            return None
        found = log.find_command(command_id)
        if found is None:
            return None
        aggregate_id, version = found
        return CommandResult(
            aggregate_id, version, log.notification_id_of(aggregate_id, version), replayed=True
        )

    def _load(self, cls: type[A], kind: str, aggregate_id: UUID) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(kind, aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise NotFound(kind, aggregate_id)
        return aggregate

    def _execute(
        self,
        meta: EventMeta,
        kind: str,
        change: Callable[[], Aggregate | Sequence[Aggregate]],
    ) -> CommandResult:
        """Run one command. The command log is consulted only when the command fails:
        a retry of a command already applied either breaks a rule (it was applied, so the
        state moved on) or collides with its own command-log row on save; both end here
        with the first result. The happy path costs no extra round trip."""
        try:
            changed = change()
        except DomainError:
            replayed = self._replayed(meta.command_id)
            if replayed is not None:
                return replayed
            raise
        aggregates = [changed] if isinstance(changed, Aggregate) else list(changed)
        primary = aggregates[0]
        try:
            recordings = self.save(
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
                kind, primary.id, f"its version moved past {primary.version - 1}"
            ) from None
        last = recordings[-1].notification.id if recordings else None
        return CommandResult(primary.id, primary.version, last)

    @staticmethod
    def _check_version(kind: str, aggregate: Aggregate, expected_version: int | None) -> None:
        if expected_version is not None and aggregate.version != expected_version:
            raise ConcurrencyConflict(
                kind,
                aggregate.id,
                f"expected version {expected_version}, it is at version {aggregate.version}",
            )

    def save_batch(self, aggregates: Sequence[Aggregate], command_id: str) -> int:
        """Save many aggregates in one transaction: the import path. Returns the number
        of events stored. Idempotent by command id like any command."""
        if self._replayed(command_id) is not None:
            return 0
        first = aggregates[0]
        recordings = self.save(
            *aggregates, command_id=command_id, command_aggregate=(first.id, first.version)
        )
        return len(recordings)

    def save_batches(
        self, batches: Iterable[tuple[str, Sequence[Aggregate]]], *, workers: int = 2
    ) -> Iterator[int]:
        """Save independent batches (no aggregate in two of them) on `workers` threads and
        yield each batch's event count in order. While one transaction holds the events
        table's lock, the next batch is being serialised, so the CPU-bound encoding in
        Python overlaps the database's work instead of waiting for it."""
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import") as pool:
            pending: deque[Future[int]] = deque()
            for command_id, aggregates in batches:
                pending.append(pool.submit(self.save_batch, aggregates, command_id))
                if len(pending) > workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()

    # --- calendars and deadlines -----------------------------------------------------------

    def working_calendar(self, jurisdiction: str) -> WorkingCalendar:
        try:
            closures: Aggregate = self.repository.get(ClosureCalendar.create_id(jurisdiction))
        except AggregateNotFoundError:
            return WorkingCalendar(jurisdiction)
        assert isinstance(closures, ClosureCalendar)
        return WorkingCalendar(jurisdiction, closures.closure_days.keys())

    def compute_reply_due(self, authority: Authority, start: date, *, urgent: bool) -> date:
        policy = authority.policy_on(start)
        period = policy.urgent_period_days if urgent else policy.period_days
        return reply_due(
            start, period, policy.day_kind, self.working_calendar(authority.jurisdiction)
        )

    def record_closure_day(
        self, meta: EventMeta, jurisdiction: str, day: date, description: str
    ) -> CommandResult:
        def change() -> ClosureCalendar:
            try:
                calendar: Aggregate = self.repository.get(ClosureCalendar.create_id(jurisdiction))
                assert isinstance(calendar, ClosureCalendar)
            except AggregateNotFoundError:
                calendar = ClosureCalendar(jurisdiction=jurisdiction)
            calendar.record_closure(meta, day, description)
            return calendar

        return self._execute(meta, "closure calendar", change)

    # --- authorities, places, visits, reports ---------------------------------------------------

    def register_authority(
        self,
        meta: EventMeta,
        *,
        name: str,
        kind: str,
        jurisdiction: str,
        parent_id: UUID | None,
        reply_period_days: int,
        day_kind: DayKind,
        urgent_reply_period_days: int,
        escalation_ladder: list[EscalationLevel],
    ) -> CommandResult:
        def change() -> Authority:
            if not name.strip():
                raise InvalidInput("name", "must not be empty")
            if not is_known_jurisdiction(jurisdiction):
                raise InvalidInput(
                    "jurisdiction", f"{jurisdiction!r} is not a country code with a known calendar"
                )
            if parent_id is not None:
                self._load(Authority, "authority", parent_id)
            validate_policy(reply_period_days, urgent_reply_period_days)
            validate_ladder(escalation_ladder)
            return Authority(
                meta=meta,
                name=name.strip(),
                kind=kind,
                jurisdiction=jurisdiction,
                parent_id=str(parent_id) if parent_id else None,
                reply_period_days=reply_period_days,
                day_kind=day_kind.value,
                urgent_reply_period_days=urgent_reply_period_days,
                escalation_ladder=[level.as_dict() for level in escalation_ladder],
            )

        return self._execute(meta, "authority", change)

    def change_reply_policy(
        self,
        meta: EventMeta,
        authority_id: UUID,
        *,
        effective_from: date,
        period_days: int,
        day_kind: DayKind,
        urgent_period_days: int,
        expected_version: int | None = None,
    ) -> CommandResult:
        def change() -> Authority:
            authority = self._load(Authority, "authority", authority_id)
            self._check_version("authority", authority, expected_version)
            authority.change_reply_policy(
                meta, effective_from, period_days, day_kind, urgent_period_days
            )
            return authority

        return self._execute(meta, "authority", change)

    def change_escalation_ladder(
        self,
        meta: EventMeta,
        authority_id: UUID,
        *,
        effective_from: date,
        levels: list[EscalationLevel],
        expected_version: int | None = None,
    ) -> CommandResult:
        def change() -> Authority:
            authority = self._load(Authority, "authority", authority_id)
            self._check_version("authority", authority, expected_version)
            authority.change_escalation_ladder(meta, effective_from, levels)
            return authority

        return self._execute(meta, "authority", change)

    def register_place(
        self,
        meta: EventMeta,
        *,
        name: str,
        place_type: PlaceType,
        region: str | None,
        authority_id: UUID,
    ) -> CommandResult:
        def change() -> Place:
            if not name.strip():
                raise InvalidInput("name", "must not be empty")
            self._load(Authority, "authority", authority_id)
            return Place(
                meta=meta,
                name=name.strip(),
                place_type=place_type.value,
                region=region,
                authority_id=str(authority_id),
            )

        return self._execute(meta, "place", change)

    def record_visit(
        self,
        meta: EventMeta,
        *,
        place_id: UUID,
        start_date: date,
        end_date: date,
        kind: VisitKind,
        team: list[str],
    ) -> CommandResult:
        def change() -> Visit:
            self._load(Place, "place", place_id)
            if end_date < start_date:
                raise InvalidInput("end_date", "must not precede start_date")
            return Visit(
                meta=meta,
                place_id=str(place_id),
                start_date=start_date,
                end_date=end_date,
                kind=kind.value,
                team=team,
            )

        return self._execute(meta, "visit", change)

    def register_report(
        self,
        meta: EventMeta,
        *,
        kind: ReportKind,
        title: str,
        report_date: date,
        link: str | None,
        visit_ids: list[UUID],
    ) -> CommandResult:
        def change() -> Report:
            if not title.strip():
                raise InvalidInput("title", "must not be empty")
            for visit_id in visit_ids:
                self._load(Visit, "visit", visit_id)
            return Report(
                meta=meta,
                kind=kind.value,
                title=title.strip(),
                report_date=report_date,
                link=link,
                visit_ids=[str(v) for v in visit_ids],
            )

        return self._execute(meta, "report", change)

    def send_report(
        self,
        meta: EventMeta,
        report_id: UUID,
        *,
        authority_id: UUID,
        sent_on: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        def change() -> Report:
            report = self._load(Report, "report", report_id)
            self._check_version("report", report, expected_version)
            authority = self._load(Authority, "authority", authority_id)
            urgent = report.kind == ReportKind.URGENT_NOTICE.value
            due = self.compute_reply_due(authority, sent_on, urgent=urgent)
            report.send_to(meta, str(authority_id), sent_on, due)
            return report

        return self._execute(meta, "report", change)

    # --- recommendations ---------------------------------------------------------------------

    def draft_recommendation(
        self,
        meta: EventMeta,
        *,
        kind: RecommendationKind,
        text: str,
        authority_id: UUID,
        report_id: UUID | None = None,
        place_id: UUID | None = None,
        visit_id: UUID | None = None,
        tags: dict[str, list[str]] | None = None,
        staff: list[str] | None = None,
        issued_on: date | None = None,
    ) -> CommandResult:
        """Draft a recommendation; with `issued_on`, issue it in the same transaction."""

        def change() -> Recommendation:
            return self.build_recommendation(
                meta,
                kind=kind,
                text=text,
                authority_id=authority_id,
                report_id=report_id,
                place_id=place_id,
                visit_id=visit_id,
                tags=tags,
                staff=staff,
                issued_on=issued_on,
            )

        return self._execute(meta, "recommendation", change)

    def get_authority(self, authority_id: UUID) -> Authority:
        return self._load(Authority, "authority", authority_id)

    def build_recommendation(
        self,
        meta: EventMeta,
        *,
        kind: RecommendationKind,
        text: str,
        authority_id: UUID,
        report_id: UUID | None = None,
        place_id: UUID | None = None,
        visit_id: UUID | None = None,
        tags: dict[str, list[str]] | None = None,
        staff: list[str] | None = None,
        issued_on: date | None = None,
    ) -> Recommendation:
        """A new recommendation, checked against the rules and the store but not saved: the
        draft command saves it at once, the spreadsheet import in batches."""
        if not text.strip():
            raise InvalidInput("text", "must not be empty")
        authority = self._load(Authority, "authority", authority_id)
        if report_id is not None:
            self._load(Report, "report", report_id)
        if place_id is not None:
            self._load(Place, "place", place_id)
        if visit_id is not None:
            self._load(Visit, "visit", visit_id)
        given = tags or {}
        unknown = [f for f in given if f not in TAG_FIELDS]
        if unknown:
            raise InvalidInput("tags", f"unknown tag fields: {', '.join(unknown)}")
        clean = {f: _clean_tags(f, given.get(f, [])) for f in TAG_FIELDS}
        recommendation = Recommendation(
            meta=meta,
            kind=kind.value,
            text=text.strip(),
            authority_id=str(authority_id),
            report_id=str(report_id) if report_id else None,
            place_id=str(place_id) if place_id else None,
            visit_id=str(visit_id) if visit_id else None,
            tags=clean,
            staff=staff or [],
        )
        if issued_on is not None:
            due = self.compute_reply_due(
                authority, issued_on, urgent=kind == RecommendationKind.URGENT
            )
            recommendation.issue(meta, issued_on, due)
        return recommendation

    def _on_recommendation(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        action: Callable[[Recommendation], None],
        expected_version: int | None = None,
    ) -> CommandResult:
        def change() -> Recommendation:
            recommendation = self._load(Recommendation, "recommendation", recommendation_id)
            self._check_version("recommendation", recommendation, expected_version)
            action(recommendation)
            return recommendation

        return self._execute(meta, "recommendation", change)

    def get_recommendation(
        self, recommendation_id: UUID, version: int | None = None
    ) -> Recommendation:
        if version is None:
            return self._load(Recommendation, "recommendation", recommendation_id)
        try:
            aggregate: Aggregate = self.repository.get(recommendation_id, version=version)
        except AggregateNotFoundError:
            raise NotFound("recommendation", recommendation_id) from None
        assert isinstance(aggregate, Recommendation)
        return aggregate

    def record_review(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        criteria: dict[str, bool],
        notes: dict[str, str],
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.record_review(meta, criteria, notes),
            expected_version,
        )

    def issue_recommendation(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        issued_on: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        def act(r: Recommendation) -> None:
            authority = self._load(Authority, "authority", UUID(r.authority_id))
            due = self.compute_reply_due(
                authority, issued_on, urgent=r.kind == RecommendationKind.URGENT
            )
            r.issue(meta, issued_on, due)

        return self._on_recommendation(meta, recommendation_id, act, expected_version)

    def reformulate(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        text: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.reformulate(meta, text), expected_version
        )

    def reiterate(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        earlier_id: UUID,
        expected_version: int | None = None,
    ) -> CommandResult:
        def act(r: Recommendation) -> None:
            self._load(Recommendation, "recommendation", earlier_id)
            r.reiterate(meta, earlier_id)

        return self._on_recommendation(meta, recommendation_id, act, expected_version)

    def record_response(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        received_on: date,
        position: Position,
        text: str,
        agreed_implementation_date: date | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.record_response(
                meta, received_on, position, text, agreed_implementation_date
            ),
            expected_version,
        )

    def extend_reply_deadline(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        new_due: date,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.extend_reply_deadline(meta, new_due),
            expected_version,
        )

    def record_follow_up(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        kind: FollowUpKind,
        summary: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.record_follow_up(meta, kind, summary),
            expected_version,
        )

    def assess_implementation(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        status: ImplementationStatus,
        reason: NonImplementationReason | None = None,
        verified: bool = False,
        verification_method: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.assess_implementation(meta, status, reason, verified, verification_method),
            expected_version,
        )

    def verify_implementation(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        method: str,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.verify_implementation(meta, method),
            expected_version,
        )

    def map_stakeholder(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        actor: str,
        power: Level,
        interest: Level,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.map_stakeholder(meta, actor, power, interest),
            expected_version,
        )

    def change_tags(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        tags: dict[str, list[str]],
        expected_version: int | None = None,
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.change_tags(meta, tags), expected_version
        )

    def withdraw_recommendation(
        self, meta: EventMeta, recommendation_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.withdraw(meta), expected_version
        )

    def close_recommendation(
        self, meta: EventMeta, recommendation_id: UUID, *, expected_version: int | None = None
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.close(meta), expected_version
        )

    # Decisions of the deadline workflows (recorded by their activities).

    def record_reply_reminder(
        self, meta: EventMeta, recommendation_id: UUID, *, due_on: date
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.record_reply_reminder(meta, due_on)
        )

    def record_reply_deadline_missed(
        self, meta: EventMeta, recommendation_id: UUID, *, due_on: date
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.record_reply_deadline_missed(meta, due_on)
        )

    def record_escalation(
        self,
        meta: EventMeta,
        recommendation_id: UUID,
        *,
        level: int,
        action: str,
        addressee: str,
        obligation_id: str,
    ) -> CommandResult:
        return self._on_recommendation(
            meta,
            recommendation_id,
            lambda r: r.record_escalation(meta, level, action, addressee, obligation_id),
        )

    def record_implementation_overdue(
        self, meta: EventMeta, recommendation_id: UUID, *, due_on: date
    ) -> CommandResult:
        return self._on_recommendation(
            meta, recommendation_id, lambda r: r.record_implementation_overdue(meta, due_on)
        )

    def load(self, aggregate_id: UUID) -> Any:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound("aggregate", aggregate_id) from None
