"""What the API shows of a recommendation and of its history.

One recommendation is read from its aggregate rather than from a view: it is a handful of
events, and reading it from the store means a caseworker always sees the action they just
took. Lists, inboxes and statistics come from the projections (each view's module in
projections/views/ holds its queries).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from domain.recommendation import Recommendation, allowed_actions
from domain.values import EventMeta, Status


class ReviewOut(BaseModel):
    criteria: dict[str, bool]
    notes: dict[str, str]
    met: int
    reviewed_on: date


class ResponseOut(BaseModel):
    received_on: date
    position: str
    text: str
    agreed_implementation_date: date | None


class FollowUpOut(BaseModel):
    kind: str
    on: date
    summary: str


class StakeholderOut(BaseModel):
    power: str
    interest: str


class RecommendationOut(BaseModel):
    id: UUID
    version: int
    kind: str
    status: str
    text: str
    authority_id: UUID
    report_id: UUID | None
    place_id: UUID | None
    visit_id: UUID | None
    tags: dict[str, list[str]]
    staff: list[str]
    drafted_on: date
    issued_on: date | None
    reply_due: date | None
    overdue: bool
    reply_deadline_missed_on: date | None
    escalation_level: int
    repeats_id: UUID | None
    review: ReviewOut | None
    position: str | None
    responses: list[ResponseOut]
    agreed_implementation_date: date | None
    follow_ups: list[FollowUpOut]
    implementation: str | None
    non_implementation_reason: str | None
    assessed_on: date | None
    verified: bool
    verified_on: date | None
    verification_method: str | None
    stakeholders: dict[str, StakeholderOut]
    allowed_actions: list[str]
    as_of: date | None = None


def recommendation_out(
    rec: Recommendation, today: date, as_of: date | None = None
) -> RecommendationOut:
    day = as_of or today
    overdue = rec.status == Status.ISSUED and rec.reply_due is not None and rec.reply_due < day
    return RecommendationOut(
        id=rec.id,
        version=rec.version,
        kind=rec.kind.value,
        status=rec.status.value,
        text=rec.text,
        authority_id=UUID(rec.authority_id),
        report_id=UUID(rec.report_id) if rec.report_id else None,
        place_id=UUID(rec.place_id) if rec.place_id else None,
        visit_id=UUID(rec.visit_id) if rec.visit_id else None,
        tags=rec.tags,
        staff=rec.staff,
        drafted_on=rec.drafted_on,
        issued_on=rec.issued_on,
        reply_due=rec.reply_due,
        overdue=overdue,
        reply_deadline_missed_on=rec.reply_deadline_missed_on,
        escalation_level=rec.escalation_level,
        repeats_id=UUID(rec.repeats_id) if rec.repeats_id else None,
        review=ReviewOut.model_validate(rec.review) if rec.review else None,
        position=rec.position.value if rec.position else None,
        responses=[ResponseOut.model_validate(r) for r in rec.responses],
        agreed_implementation_date=rec.agreed_implementation_date,
        follow_ups=[FollowUpOut.model_validate(f) for f in rec.follow_ups],
        implementation=rec.implementation.value if rec.implementation else None,
        non_implementation_reason=(
            rec.non_implementation_reason.value if rec.non_implementation_reason else None
        ),
        assessed_on=rec.assessed_on,
        verified=rec.verified,
        verified_on=rec.verified_on,
        verification_method=rec.verification_method,
        stakeholders={k: StakeholderOut.model_validate(v) for k, v in rec.stakeholders.items()},
        allowed_actions=allowed_actions(rec.status),
        as_of=as_of,
    )


class HistoryEntryOut(BaseModel):
    version: int
    event: str
    recorded_at: datetime
    actor_id: str | None
    actor_role: str | None
    business_date: date | None
    command_id: str | None
    reason: str | None
    data: dict[str, Any]


_ENVELOPE = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


def _plain(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def history_entry(event: Any) -> HistoryEntryOut:
    meta = getattr(event, "meta", None)
    data = {k: _plain(v) for k, v in vars(event).items() if k not in _ENVELOPE}
    return HistoryEntryOut(
        version=event.originator_version,
        event=type(event).__qualname__.split(".")[-1],
        recorded_at=event.timestamp,
        actor_id=meta.actor_id if isinstance(meta, EventMeta) else None,
        actor_role=meta.actor_role if isinstance(meta, EventMeta) else None,
        business_date=meta.business_date if isinstance(meta, EventMeta) else None,
        command_id=meta.command_id if isinstance(meta, EventMeta) else None,
        reason=meta.reason if isinstance(meta, EventMeta) else None,
        data=data,
    )
