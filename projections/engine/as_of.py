"""State as it stood at the end of a past date, derived from the events (never from the
views, which only know the present).

Two bases, because auditors ask two questions:
- "business" (the default): what was true in the world by then, by each event's business
  date. Events of an aggregate are taken in order up to (not including) the first one
  whose business date is after that date, so a state is always one the aggregate really
  passed through. Imported and back-dated records answer for the dates they describe.
- "recorded": what the record said at the end of that date (UTC): only events
  *recorded* by then count. A reply received on 10 January but typed in on 3 March is
  absent from the state as of 31 January. This is the audit answer.

The CLI (`rectrack audit as-of`) and the API (`?as_of=&basis=`) both answer from here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from domain.errors import InvalidInput, NotFound
from domain.recommendation import Recommendation
from projections import events
from projections.facts import Fact, FactMapper
from projections.views.recommendation_fields import INITIAL, changes
from services.application.store import Rectrack

Basis = Literal["recorded", "business"]

_STATUS_EVENTS: tuple[type, ...] = (
    events.Recommendation.Drafted,
    events.Recommendation.Issued,
    events.Recommendation.ResponseReceived,
    events.Recommendation.ImplementationAssessed,
    events.Recommendation.Withdrawn,
    events.Recommendation.Closed,
)
"""The recommendation events that change its status."""


def end_of_day(day: date) -> datetime:
    """The first instant after `day`, in UTC (for the calendar's last day, its end)."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def _counts(event: Any, day: date, basis: Basis) -> bool:
    if basis == "recorded":
        return bool(event.timestamp < end_of_day(day))
    if basis == "business":
        return bool(event.meta.business_date <= day)
    raise InvalidInput("basis", "must be 'recorded' or 'business'")


def aggregate_as_of(
    app: Rectrack, recommendation_id: UUID, day: date, *, basis: Basis = "business"
) -> Recommendation:
    """The recommendation as it stood at the end of `day` on `basis`; NotFound if it
    did not exist yet (or does not exist at all)."""
    if basis not in ("recorded", "business"):
        raise InvalidInput("basis", "must be 'recorded' or 'business'")
    version = 0
    for event in app.events.get(recommendation_id):
        if not _counts(event, day, basis):
            break
        version = event.originator_version
    if version == 0:
        raise NotFound("recommendation", f"{recommendation_id} as of {day.isoformat()}")
    aggregate: Aggregate = app.repository.get(recommendation_id, version=version)
    if not isinstance(aggregate, Recommendation):
        raise NotFound("recommendation", recommendation_id)
    return aggregate


def recommendation_as_of(
    app: Rectrack, recommendation_id: UUID, day: date, *, basis: Basis = "business"
) -> dict[str, Any]:
    """The recommendation's fields at the end of `day`; NotFound if it did not exist
    yet (or does not exist at all)."""
    aggregate = aggregate_as_of(app, recommendation_id, day, basis=basis)
    state: dict[str, Any] = {
        "id": str(aggregate.id),
        "version": aggregate.version,
        "as_of": day,
        "basis": basis,
    }
    for name, value in vars(aggregate).items():
        if not name.startswith("_"):
            state[name] = value
    return state


def _status_facts(app: Rectrack, page: int = 10_000) -> Iterator[Fact]:
    mapper = FactMapper.like(app.mapper)
    topics = [get_topic(event_class) for event_class in _STATUS_EVENTS]
    start = 0
    while True:
        notifications = app.recorder.select_notifications(
            start, page, topics=topics, inclusive_of_start=False
        )
        for n in notifications:
            yield mapper.fact(n.originator_id, n.originator_version, n.topic, n.state, n.id)
        if len(notifications) < page:
            return
        start = notifications[-1].id


def status_counts_as_of(
    app: Rectrack,
    day: date,
    *,
    basis: Basis = "business",
    authority_id: UUID | str | None = None,
) -> dict[str, int]:
    """How many recommendations were in each status at the end of `day`. With
    `authority_id` (an authority's liaison asking): only those addressed to it that had
    been issued by then, as domain/publication.py lets an outsider see them."""
    if basis not in ("recorded", "business"):
        raise InvalidInput("basis", "must be 'recorded' or 'business'")
    cutoff = end_of_day(day)
    last_day = day.isoformat()
    scope = None if authority_id is None else str(authority_id)
    statuses: dict[UUID, str] = {}
    issued: set[UUID] = set()
    stopped: set[UUID] = set()
    for fact in _status_facts(app):
        rec_id = fact.originator_id
        if rec_id in stopped:
            continue
        if basis == "recorded":
            counted = datetime.fromisoformat(fact.recorded_at) < cutoff
        else:
            counted = str(fact.meta.get("business_date")) <= last_day
        if not counted or (
            scope is not None
            and fact.is_a(events.Recommendation.Drafted)
            and str(fact.data["authority_id"]) != scope
        ):
            stopped.add(rec_id)
            continue
        update = changes({**INITIAL, "status": statuses.get(rec_id)}, fact)
        if update.get("issued_on") is not None:
            issued.add(rec_id)
        if "status" in update:
            statuses[rec_id] = update["status"]
    counts: dict[str, int] = {}
    for rec_id, status in statuses.items():
        if scope is not None and rec_id not in issued:
            continue
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))
