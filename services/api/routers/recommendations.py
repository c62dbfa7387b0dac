"""Recommendations: drafting and every action on one, the list with its filters, one
recommendation (now or as of a past date) and its full event history.

An authority liaison sees and answers only recommendations addressed to its authority:
the list is narrowed to it, and any other recommendation is refused with 403.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from domain.errors import NotFound
from domain.recommendation import Recommendation
from domain.values import PlaceType, RecommendationKind, Status
from services.api.auth import Ability, Actor
from services.api.deps import ReadConnection, Schema, StoreDep, require
from services.api.errors import ERROR_RESPONSES
from services.api.views import (
    HistoryEntryOut,
    RecommendationOut,
    history_entry,
    recommendation_out,
)
from services.api.writes import CommandOut, Write, run_command, writer
from services.application.commands.base import TargetedCommand
from services.application.commands.recommendations import (
    AssessImplementation,
    ChangeTags,
    CloseRecommendation,
    DraftRecommendation,
    ExtendReplyDeadline,
    IssueRecommendation,
    MapStakeholder,
    RecordFollowUp,
    RecordResponse,
    RecordReview,
    Reformulate,
    Reiterate,
    VerifyImplementation,
    WithdrawRecommendation,
)
from services.application.store import Rectrack

# Query text goes into SQL parameters, and PostgreSQL text cannot hold NUL.
NO_NUL = r"^[^\x00]*$"

router = APIRouter(prefix="/recommendations", tags=["recommendations"], responses=ERROR_RESPONSES)

Reader = Annotated[Actor, Depends(require(Ability.READ))]
Drafting = Annotated[Write, Depends(writer(Ability.DRAFT))]
Responding = Annotated[Write, Depends(writer(Ability.RESPOND))]
Extending = Annotated[Write, Depends(writer(Ability.EXTEND))]
Ending = Annotated[Write, Depends(writer(Ability.END))]


def _load_visible(store: Rectrack, actor: Actor, recommendation_id: UUID) -> Recommendation:
    recommendation = store.get(Recommendation, recommendation_id)
    actor.principal.check_authority(recommendation.authority_id)
    return recommendation


def _act(write: Write, body: TargetedCommand, recommendation_id: UUID) -> CommandOut:
    """An action on one recommendation; a liaison's only on its own authority's."""
    if write.actor.principal.scoped_authority is not None:
        _load_visible(write.runtime.app, write.actor, recommendation_id)
    return run_command(write, body, target_id=recommendation_id)


# --- writes ------------------------------------------------------------------------------


@router.post("", status_code=201, summary="Draft a recommendation (issued at once with issued_on)")
def draft(body: DraftRecommendation, write: Drafting) -> CommandOut:
    result = run_command(write, body)
    write.response.headers["Location"] = f"/api/v1/recommendations/{result.id}"
    return result


@router.post("/{recommendation_id}/issue", summary="Issue a drafted recommendation")
def issue(recommendation_id: UUID, body: IssueRecommendation, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/reviews", summary="Record a Double-SMART review")
def review(recommendation_id: UUID, body: RecordReview, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/reformulations", summary="Change the wording")
def reformulate(recommendation_id: UUID, body: Reformulate, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/responses", summary="Record the authority's response")
def respond(recommendation_id: UUID, body: RecordResponse, write: Responding) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/follow-ups", summary="Record a follow-up action")
def follow_up(recommendation_id: UUID, body: RecordFollowUp, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/assessments", summary="Assess implementation")
def assess(recommendation_id: UUID, body: AssessImplementation, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/verifications", summary="Record a verification")
def verify(recommendation_id: UUID, body: VerifyImplementation, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/deadline-extensions", summary="Extend the reply deadline")
def extend_deadline(
    recommendation_id: UUID, body: ExtendReplyDeadline, write: Extending
) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/stakeholders", summary="Map a stakeholder")
def map_stakeholder(recommendation_id: UUID, body: MapStakeholder, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/tags", summary="Change the tags")
def change_tags(recommendation_id: UUID, body: ChangeTags, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/reiterations", summary="Link to an earlier recommendation")
def reiterate(recommendation_id: UUID, body: Reiterate, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/withdrawal", summary="Withdraw (the reason is required)")
def withdraw(recommendation_id: UUID, body: WithdrawRecommendation, write: Ending) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/closure", summary="Close the recommendation")
def close(recommendation_id: UUID, body: CloseRecommendation, write: Ending) -> CommandOut:
    return _act(write, body, recommendation_id)


# --- reads -------------------------------------------------------------------------------


class RecommendationPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get("", summary="List recommendations (filters combine with AND)")
def list_recommendations(
    actor: Reader,
    conn: ReadConnection,
    schema: Schema,
    status: Status | None = None,
    authority_id: UUID | None = None,
    place_id: UUID | None = None,
    place_type: PlaceType | None = None,
    kind: RecommendationKind | None = None,
    theme: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    keyword: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    group: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="vulnerable group")
    ] = None,
    overdue: bool | None = None,
    year: Annotated[int | None, Query(ge=1900, le=2200)] = None,
    q: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="text search")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> RecommendationPage:
    from projections.views import status as queries

    scope = actor.principal.scoped_authority
    if scope is not None:
        if authority_id is not None and authority_id != scope:
            actor.principal.check_authority(authority_id)
        authority_id = scope
    items, total = queries.list_recommendations(
        conn,
        schema,
        status=status.value if status else None,
        authority_id=str(authority_id) if authority_id else None,
        place_id=str(place_id) if place_id else None,
        place_type=place_type.value if place_type else None,
        theme=theme,
        keyword=keyword,
        group=group,
        kind=kind.value if kind else None,
        year=year,
        overdue=overdue,
        q=q,
        limit=limit,
        offset=offset,
        today=date.today(),
    )
    return RecommendationPage(
        items=[dict(item) for item in items], total=total, limit=limit, offset=offset
    )


@router.get("/{recommendation_id}", summary="One recommendation, now or as of a past date")
def get_one(
    recommendation_id: UUID,
    response: Response,
    actor: Reader,
    store: StoreDep,
    as_of: Annotated[date | None, Query(description="its state at the end of this day")] = None,
) -> RecommendationOut:
    current = _load_visible(store, actor, recommendation_id)
    today = date.today()
    if as_of is None:
        response.headers["ETag"] = f'"{current.version}"'
        return recommendation_out(current, today)
    return recommendation_as_of(store, recommendation_id, as_of, today)


def recommendation_as_of(
    store: Rectrack, recommendation_id: UUID, day: date, today: date
) -> RecommendationOut:
    """Replays the events recorded up to the end of `day` (the store's own timestamps,
    which no command can backdate)."""
    last: int | None = None
    for event in store.events.get(recommendation_id):
        recorded: datetime = getattr(event, "timestamp")  # noqa: B009
        if recorded.date() > day:
            break
        last = event.originator_version
    if last is None:
        raise NotFound(f"recommendation (as of {day.isoformat()})", recommendation_id)
    as_of = store.get(Recommendation, recommendation_id, version=last)
    return recommendation_out(as_of, today, day)


class HistoryOut(BaseModel):
    recommendation_id: UUID
    events: list[HistoryEntryOut]


class TimelineOut(BaseModel):
    recommendation_id: UUID
    entries: list[dict[str, Any]]


@router.get(
    "/{recommendation_id}/timeline",
    summary="The audit timeline: each event in words, with every field's before -> after",
)
def timeline(
    recommendation_id: UUID, actor: Reader, store: StoreDep, conn: ReadConnection, schema: Schema
) -> TimelineOut:
    from projections.views.timeline import audit_timeline

    _load_visible(store, actor, recommendation_id)
    rows = audit_timeline(conn, schema, recommendation_id)
    return TimelineOut(recommendation_id=recommendation_id, entries=[dict(r) for r in rows])


@router.get("/{recommendation_id}/history", summary="Every event, with who, when and why")
def history(recommendation_id: UUID, actor: Reader, store: StoreDep) -> HistoryOut:
    _load_visible(store, actor, recommendation_id)
    events = store.events.get(recommendation_id)
    return HistoryOut(
        recommendation_id=recommendation_id, events=[history_entry(e) for e in events]
    )
