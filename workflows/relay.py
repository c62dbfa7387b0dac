"""The relay: follows the notification log and delivers each event that matters to a
deadline workflow with signal-with-start (the workflow is started by the first event of
its obligation and signalled by the rest).

Its position is kept like a projection's, in the library's tracking table
(`relay_tracking`), and is written after delivery: a crash in between delivers an event
again, which the workflow ignores by its event id. So every event is delivered at least
once and acted on exactly once. A page of events is delivered concurrently across
workflows but in log order within each workflow (an extension must not overtake the
issue it extends), and the position moves once the whole page is delivered.

It runs as its own process (`rectrack relay`), so that Temporal being down never holds
up the views, and the views being rebuilt never holds up deadlines.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

import structlog
from eventsourcing.persistence import Notification, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.origin import deadline_is_history
from domain.recommendation import Recommendation
from domain.report import Report
from domain.task import Task
from domain.values import Position, RecommendationKind, Status
from services.adapters.table_creation import SerialisedTableCreation
from services.adapters.tracing import continued, tracer
from services.application.store import Rectrack
from workflows.converter import with_dates
from workflows.implementation import ImplementationFollowUpWorkflow
from workflows.letter_batch import batch_id
from workflows.mail_messages import LetterMail, letter_mail_from
from workflows.mail_workflows import LetterMailWorkflow
from workflows.messages import Fact, ImplementationStart, LetterRequest, ObligationStart, Relayed
from workflows.obligation import ReplyObligationWorkflow
from workflows.relay_letters import BATCH_PAUSE, hand_to_batch, letters_batched, step_letter

log = structlog.get_logger(__name__)

APPLICATION_NAME = "rectrack"
TRACKING_TABLE = "relay_tracking"
KEY_CACHE_SIZE = 100_000


class RelayTrackingRecorder(SerialisedTableCreation, PostgresTrackingRecorder):
    """The relay's position, in a table created in turn with the other processes'."""


class Target(StrEnum):
    """The kind of workflow a delivery is for."""

    OBLIGATION = "obligation"
    IMPLEMENTATION = "implementation"
    TASK = "task"  # a task event for a workflow that is not a follow-up: signal only
    LETTER = "letter"  # a generated letter to e-mail to its authority
    BATCH = "batch"  # a step's letter to its authority's batch of the day


@dataclass(frozen=True)
class Delivery:
    workflow: Target
    workflow_id: str
    event: Relayed
    authority_id: str = ""
    recommendation_id: str = ""
    trace_parent: str | None = None  # the recording command's span, to trace on from
    letter: LetterMail | None = None
    requests: tuple[LetterRequest, ...] = ()  # to a batch (workflows/relay_letters.py)


@dataclass(frozen=True)
class RecommendationKey:
    """What routing needs of a recommendation; fixed when it is drafted."""

    kind: RecommendationKind
    report_id: str | None
    authority_id: str
    #: a historic record's import day: deadlines before it are history (domain/origin.py)
    historic_before: date | None = None

    def starts(self, due_on: date | None) -> bool:
        """Whether a deadline may start a workflow: never one a historic record's
        import left in the past (no reminder, missed deadline or escalation for it)."""
        return not deadline_is_history(self.historic_before, due_on)


def obligation_id(key: RecommendationKey, recommendation_id: str) -> str:
    if key.kind == RecommendationKind.URGENT:
        return f"obligation-urgent-{recommendation_id}"
    if key.report_id:
        return f"obligation-{key.report_id}-{key.authority_id}"
    return f"obligation-recommendation-{recommendation_id}"


class Relay:
    """`fire_at_seconds`: see ObligationStart; set once per deployment (`rectrack relay
    --fire-at`), because a workflow keeps the value it was started with."""

    def __init__(
        self,
        app: Rectrack,
        client: Client,
        *,
        task_queue: str,
        reminder_days: int,
        fire_at_seconds: int = 0,
        concurrency: int = 64,
        email_letters: bool = False,
    ) -> None:
        self.app = app
        self.client = with_dates(client)
        self.task_queue = task_queue
        self.reminder_days = reminder_days
        self.fire_at_seconds = fire_at_seconds
        self.concurrency = concurrency
        #: with e-mail on (RECTRACK_SMTP_HOST), each generated letter is e-mailed
        self.email_letters = email_letters
        self.delivered = 0
        datastore = app.recorder.datastore  # type: ignore[attr-defined]
        self.tracking = RelayTrackingRecorder(datastore, tracking_table_name=TRACKING_TABLE)
        self.tracking.create_table()
        self._keys: dict[UUID, RecommendationKey] = {}
        self.handed_to_batch = False  # since run()'s last poll

    @property
    def position(self) -> int:
        return self.tracking.max_tracking_id(APPLICATION_NAME) or 0

    async def deliver_pending(self, page: int = 500) -> int:
        """Deliver everything recorded since the last position; returns events read."""
        total = 0
        while True:
            notifications = await asyncio.to_thread(
                self.app.recorder.select_notifications,
                start=self.position,
                limit=page,
                inclusive_of_start=False,
            )
            if not notifications:
                return total
            deliveries = await asyncio.to_thread(self._route_page, notifications)
            await self._deliver_page(deliveries)
            await asyncio.to_thread(
                self.tracking.insert_tracking,
                Tracking(APPLICATION_NAME, notifications[-1].id),
            )
            total += len(notifications)

    def _route_page(self, notifications: Sequence[Notification]) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            traced = getattr(getattr(event, "meta", None), "trace_parent", None)
            deliveries.extend(
                replace(d, trace_parent=traced) if traced else d for d in self.route(event)
            )
        return deliveries

    async def _deliver_page(self, deliveries: list[Delivery]) -> None:
        by_workflow: dict[str, list[Delivery]] = {}
        for delivery in deliveries:
            by_workflow.setdefault(delivery.workflow_id, []).append(delivery)
        for wid, queue in by_workflow.items():
            if queue[0].workflow == Target.BATCH:
                # one signal per batch and page, naming every request
                requests = tuple(r for d in queue for r in d.requests)
                by_workflow[wid] = [replace(queue[0], requests=requests)]
                self.handed_to_batch = True
        gate = asyncio.Semaphore(self.concurrency)

        async def in_order(queue: list[Delivery]) -> None:
            async with gate:
                for delivery in queue:
                    await self._deliver(delivery)
                    self.delivered += 1

        async with asyncio.TaskGroup() as group:
            for queue in by_workflow.values():
                group.create_task(in_order(queue))

    async def run(self, stop: asyncio.Event, poll_seconds: float = 0.5) -> None:
        log.info("relay started", position=self.position)
        while not stop.is_set():
            try:
                await self.deliver_pending()
            except Exception:
                log.exception("relay delivery failed; retrying", position=self.position)
            pause = BATCH_PAUSE if self.handed_to_batch else poll_seconds
            self.handed_to_batch = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
        log.info("relay stopped", position=self.position)

    # --- routing -------------------------------------------------------------------------

    def route(self, event: Any) -> list[Delivery]:
        """The deliveries one event makes (none for an event no deadline depends on)."""
        router = ROUTES.get(type(event))
        return [] if router is None else router(self, event)

    def _key(self, recommendation_id: UUID) -> RecommendationKey:
        key = self._keys.get(recommendation_id)
        if key is None:
            rec = self.app.get(Recommendation, recommendation_id)
            key = RecommendationKey(
                rec.kind, rec.report_id, rec.authority_id, getattr(rec, "historic_before", None)
            )
            self._remember(recommendation_id, key)
        return key

    def _remember(self, recommendation_id: UUID, key: RecommendationKey) -> None:
        if len(self._keys) >= KEY_CACHE_SIZE:
            # Oldest first (dicts keep insertion order): recent drafts are the ones whose
            # issue and reply events are still to come.
            del self._keys[next(iter(self._keys))]
        self._keys[recommendation_id] = key

    def _sent(self, event: Any) -> list[Delivery]:
        wid = f"obligation-{event.originator_id}-{event.authority_id}"
        relayed = relayed_fact(event, Fact.SENT, due_on=event.reply_due)
        return [Delivery(Target.OBLIGATION, wid, relayed, authority_id=event.authority_id)]

    def _task_completed(self, event: Any) -> list[Delivery]:
        return self._to_task_workflow(
            event, Fact.TASK_COMPLETED, task_id=str(event.originator_id), outcome=event.outcome
        )

    def _task_cancelled(self, event: Any) -> list[Delivery]:
        return self._to_task_workflow(event, Fact.TASK_CANCELLED, task_id=str(event.originator_id))

    def _to_task_workflow(self, event: Any, kind: Fact, **fields: Any) -> list[Delivery]:
        task = self.app.get(Task, event.originator_id)
        target = (
            Target.IMPLEMENTATION if task.workflow_id.startswith("implementation-") else Target.TASK
        )
        return [Delivery(target, task.workflow_id, relayed_fact(event, kind, **fields))]

    def _drafted(self, event: Any) -> list[Delivery]:
        # Routing needs only what the draft says; remembering it here saves loading the
        # aggregate when its issue event follows.
        self._remember(
            event.originator_id,
            RecommendationKey(
                RecommendationKind(event.kind),
                event.report_id,
                event.authority_id,
                getattr(event, "historic_before", None),
            ),
        )
        return []

    def _to_obligation(self, event: Any, kind: Fact, **fields: Any) -> Delivery:
        rec_id = str(event.originator_id)
        key = self._key(event.originator_id)
        relayed = relayed_fact(event, kind, recommendation_id=rec_id, **fields)
        return Delivery(
            Target.OBLIGATION, obligation_id(key, rec_id), relayed, key.authority_id, rec_id
        )

    def _to_implementation(self, event: Any, kind: Fact, **fields: Any) -> Delivery:
        rec_id = str(event.originator_id)
        key = self._key(event.originator_id)
        relayed = relayed_fact(event, kind, recommendation_id=rec_id, **fields)
        return Delivery(
            Target.IMPLEMENTATION, f"implementation-{rec_id}", relayed, key.authority_id, rec_id
        )

    def _issued(self, event: Any) -> list[Delivery]:
        if not self._key(event.originator_id).starts(event.reply_due):
            return []  # a historic record: its reply was due before its import
        return [self._to_obligation(event, Fact.JOINED, due_on=event.reply_due)]

    def _answered(self, event: Any) -> list[Delivery]:
        deliveries = [self._to_obligation(event, Fact.ANSWERED)]
        agreed = event.agreed_implementation_date
        if (
            agreed is not None
            and event.position in (Position.ACCEPTED, Position.PARTIALLY_ACCEPTED)
            and self._key(event.originator_id).starts(agreed)
        ):
            deliveries.append(self._to_implementation(event, Fact.AGREED, due_on=agreed))
        return deliveries

    def _extended(self, event: Any) -> list[Delivery]:
        key = self._key(event.originator_id)
        if not key.starts(event.previous_due):
            # A historic record: no obligation runs for its past deadline. Moved past
            # the import, the deadline starts one now, as an issue would; still in the
            # past, it starts nothing.
            if not key.starts(event.new_due):
                return []
            return [self._to_obligation(event, Fact.JOINED, due_on=event.new_due)]
        return [self._to_obligation(event, Fact.EXTENDED, due_on=event.new_due)]

    def _clock_started(self, event: Any) -> list[Delivery]:
        # A recommendation issued before its report was sent learns its due date from
        # the sending. To the obligation that is its own due date arriving (or, for one
        # issued before the reply clock rule, moving later): the fact an extension
        # brings, which every recorded workflow already handles.
        return [self._to_obligation(event, Fact.EXTENDED, due_on=event.reply_due)]

    def _released(self, event: Any) -> list[Delivery]:
        how = "withdrawn" if type(event).__name__ == "Withdrawn" else "closed"
        return [
            self._to_obligation(event, Fact.RELEASED, status=how),
            self._to_implementation(event, Fact.RELEASED, status=how),
        ]

    def _assessed(self, event: Any) -> list[Delivery]:
        return [
            self._to_implementation(
                event, Fact.ASSESSED, status=event.status, verified=bool(event.verified)
            )
        ]

    def _verified(self, event: Any) -> list[Delivery]:
        return [self._to_implementation(event, Fact.VERIFIED)]

    def _letter(self, event: Any) -> list[Delivery]:
        """A LetterGenerated event (on a report or a recommendation): e-mail the letter."""
        if not self.email_letters:
            return []
        letter = letter_mail_from(str(event.originator_id), event.letter, event.meta.business_date)
        if letter is None:
            return []
        relayed = relayed_fact(event, Fact.LETTER_GENERATED)
        return [
            Delivery(Target.LETTER, letter.workflow_id, relayed, letter.authority_id, letter=letter)
        ]

    def _step_letter(self, event: Any) -> list[Delivery]:
        """A reply obligation's step recorded on a recommendation: its letter's batch."""
        if not letters_batched(event):
            return []  # its step wrote its own letter (before the cache lookup: no load)
        rec_id = str(event.originator_id)
        key = self._key(event.originator_id)
        request = step_letter(event, obligation_id(key, rec_id), key.authority_id)
        if request is None:
            return []
        relayed = relayed_fact(event, Fact.STEP_RECORDED)
        wid = batch_id(request)
        return [Delivery(Target.BATCH, wid, relayed, key.authority_id, rec_id, requests=(request,))]

    # --- delivery ------------------------------------------------------------------------

    async def _deliver(self, delivery: Delivery) -> None:
        with (
            continued(delivery.trace_parent),
            tracer().start_as_current_span(f"relay {delivery.event.kind}") as span,
        ):
            span.set_attribute("rectrack.workflow_id", delivery.workflow_id)
            await self._deliver_traced(delivery)

    async def _deliver_traced(self, delivery: Delivery) -> None:
        bound = log.bind(
            workflow_id=delivery.workflow_id,
            recommendation_id=delivery.recommendation_id or None,
            event_id=delivery.event.event_id,
        )
        if delivery.letter is not None:
            await self._email_letter(delivery.letter)
            return
        if delivery.workflow == Target.BATCH:
            await hand_to_batch(self.client, self.task_queue, delivery.requests)
            return
        try:
            if delivery.workflow == Target.IMPLEMENTATION:
                if delivery.event.kind != Fact.AGREED:
                    # Nothing to follow up unless a date was agreed: signal only a
                    # running follow-up, never start one.
                    await self._signal_if_running(delivery)
                    return
                await self._start(
                    ImplementationFollowUpWorkflow.run,
                    ImplementationStart(
                        delivery.recommendation_id, delivery.authority_id, self.fire_at_seconds
                    ),
                    delivery,
                    WorkflowIDReusePolicy.ALLOW_DUPLICATE,
                )
            elif delivery.event.kind in (Fact.SENT, Fact.JOINED):
                await self._start_obligation(delivery, WorkflowIDReusePolicy.REJECT_DUPLICATE)
            else:
                await self._signal_if_running(delivery)
        except WorkflowAlreadyStartedError:
            if delivery.event.kind == Fact.JOINED and await asyncio.to_thread(
                self._awaits_reply, delivery.recommendation_id
            ):
                # Every earlier recommendation of this report was answered and the
                # obligation ended before this one was issued under it: a new run of the
                # same obligation keeps this one's deadline. A redelivered event of an
                # answered recommendation finds it answered and starts nothing.
                await self._start_obligation(delivery, WorkflowIDReusePolicy.ALLOW_DUPLICATE)
                bound.info("obligation reopened for a recommendation issued after it ended")
                return
            bound.info("obligation already ended; event not needed")
            return
        bound.debug("delivered", kind=delivery.event.kind)

    async def _email_letter(self, letter: LetterMail) -> None:
        """Started once per letter and authority (the workflow id is the send key); a
        redelivered event finds it started and starts nothing."""
        try:
            await self.client.start_workflow(
                LetterMailWorkflow.run,
                letter,
                id=letter.workflow_id,
                task_queue=self.task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
        except WorkflowAlreadyStartedError:
            log.debug("letter already e-mailed or being e-mailed", key=letter.key)

    async def _start_obligation(self, delivery: Delivery, reuse: WorkflowIDReusePolicy) -> None:
        start = ObligationStart(
            delivery.workflow_id, delivery.authority_id, self.reminder_days, self.fire_at_seconds
        )
        await self._start(ReplyObligationWorkflow.run, start, delivery, reuse)

    async def _start(
        self, run: Any, start: object, delivery: Delivery, reuse: WorkflowIDReusePolicy
    ) -> None:
        """Signal-with-start: the workflow begins with (or, running, receives) the event."""
        await self.client.start_workflow(
            run,
            # Both parameters, always: Temporal decodes arguments by their type hints only
            # when every parameter is given.
            args=[start, None],
            id=delivery.workflow_id,
            task_queue=self.task_queue,
            start_signal="deliver",
            start_signal_args=[delivery.event],
            id_reuse_policy=reuse,
        )

    def _awaits_reply(self, recommendation_id: str) -> bool:
        recommendation = self.app.get(Recommendation, UUID(recommendation_id))
        return recommendation.status == Status.ISSUED

    async def _signal_if_running(self, delivery: Delivery) -> None:
        handle = self.client.get_workflow_handle(delivery.workflow_id)
        try:
            await handle.signal("deliver", delivery.event)
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise


def relayed_fact(event: Any, kind: Fact, **fields: Any) -> Relayed:
    """The fact an event tells a workflow, identified by the event's position in its
    aggregate (so a redelivered event is recognised) and dated by its business date."""
    return Relayed(
        f"{event.originator_id}:{event.originator_version}",
        kind,
        event.meta.business_date,
        **fields,
    )


# Each event class a deadline depends on, and how the relay routes it; any other event is
# passed over. (The library makes the event classes from the aggregates' @event
# decorators when they are imported, out of the type checker's sight: hence Any.)
_report: Any = Report
_task: Any = Task
_rec: Any = Recommendation
ROUTES: dict[type, Callable[[Relay, Any], list[Delivery]]] = {
    _report.SentToAuthority: Relay._sent,
    _task.Completed: Relay._task_completed,
    _task.Cancelled: Relay._task_cancelled,
    _rec.Drafted: Relay._drafted,
    _rec.Issued: Relay._issued,
    _rec.ResponseReceived: Relay._answered,
    _rec.ReplyDeadlineExtended: Relay._extended,
    _rec.ReplyClockStarted: Relay._clock_started,
    _rec.Withdrawn: Relay._released,
    _rec.Closed: Relay._released,
    _rec.ImplementationAssessed: Relay._assessed,
    _rec.ImplementationVerified: Relay._verified,
    # a reply obligation's steps, for their letters (workflows/letter_batch.py)
    _rec.ReplyReminderSent: Relay._step_letter,
    _rec.ReplyDeadlineMissed: Relay._step_letter,
    _rec.Escalated: Relay._step_letter,
    # letters to e-mail (when RECTRACK_SMTP_HOST is set)
    _report.LetterGenerated: Relay._letter,
    _rec.LetterGenerated: Relay._letter,
}
