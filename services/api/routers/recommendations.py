"""Recommendations: drafting and every action on one, the list with its filters, one
recommendation (now or as of a past date) and its full event history.

An authority liaison sees and answers only recommendations issued to its authority, and
of those only what domain/publication.py calls publishable: the list is narrowed to them,
history and timeline hold the publishable events only, and any other recommendation (a
draft, another authority's) is answered exactly as one that does not exist (404).

As of a past date, `basis=business` (the default) answers by what had happened by then,
`basis=recorded` by what had been recorded by then (projections/engine/as_of.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel

from domain.access import AccessKind
from domain.errors import NotFound
from domain.publication import is_published, published_fields
from domain.recommendation import Recommendation
from services.api.auth import Ability, Actor
from services.api.deps import (
    AccessDep,
    ReadConnection,
    Reading,
    Schema,
    SpeechDep,
    StoreDep,
    reading,
    require,
)
from services.api.errors import ERROR_RESPONSES
from services.api.json_out import page_response
from services.api.lists import ListQuery, visible
from services.api.routers.access import record_read
from services.api.threads import OneHopRoute
from services.api.views import (
    HistoryEntryOut,
    PublishedHistoryEntryOut,
    PublishedRecommendationOut,
    RecommendationOut,
    full_history,
    history_entry,
    published_history,
    published_recommendation,
    published_timeline,
    recommendation_out,
    timeline_in_business_order,
)
from services.api.writes import CommandOut, Write, run_command, writer
from services.application.commands.base import TargetedCommand
from services.application.commands.recommendations import (
    AddComment,
    AssessImplementation,
    ChangeTags,
    CloseRecommendation,
    DraftRecommendation,
    ExtendReplyDeadline,
    IssueRecommendation,
    MapStakeholder,
    PublishRecommendation,
    RecordFollowUp,
    RecordOrigin,
    RecordResponse,
    RecordReview,
    Reformulate,
    Reiterate,
    VerifyImplementation,
    WithdrawRecommendation,
)
from services.application.store import Rectrack

router = APIRouter(
    route_class=OneHopRoute,
    prefix="/recommendations",
    tags=["recommendations"],
    responses=ERROR_RESPONSES,
)

Reader = Annotated[Actor, Depends(require(Ability.READ))]
# The list and one recommendation: most of the traffic, so one dependency (deps.py).
Read = Annotated[Reading, Depends(reading(Ability.READ))]
Drafting = Annotated[Write, Depends(writer(Ability.DRAFT))]
Responding = Annotated[Write, Depends(writer(Ability.RESPOND))]
Extending = Annotated[Write, Depends(writer(Ability.EXTEND))]
Ending = Annotated[Write, Depends(writer(Ability.END))]
Publishing = Annotated[Write, Depends(writer(Ability.PUBLISH))]


def load_visible(store: Rectrack, actor: Actor, recommendation_id: UUID) -> Recommendation:
    """The recommendation, if this caller may see it; else the same NotFound as for an
    id that does not exist (a liaison: only those issued to its own authority)."""
    recommendation = store.get(Recommendation, recommendation_id)
    principal = actor.principal
    if not principal.may_see(recommendation.authority_id) or (
        principal.sees_published_only and not is_published(recommendation)
    ):
        raise NotFound("recommendation", recommendation_id)
    return recommendation


def _act(write: Write, body: TargetedCommand, recommendation_id: UUID) -> CommandOut:
    """An action on one recommendation; a liaison's only on its own authority's."""
    if write.actor.principal.sees_published_only:
        load_visible(write.runtime.app, write.actor, recommendation_id)
    return run_command(write, body, target_id=recommendation_id)


# --- reads -------------------------------------------------------------------------------
# Before the writes: a request goes to the first route that matches, tried in order (twice
# in FastAPI 0.165), and the reads are most of the traffic (`make bench-api`, profiled).


class RecommendationPage(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get(
    "",
    summary="List recommendations (filters combine with AND)",
    response_model=RecommendationPage,
)
def list_recommendations(
    read: Read,
    filters: ListQuery,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    from projections.views import status as queries

    principal = read.actor.principal
    narrowed = visible(filters, principal)
    if narrowed is None:
        return page_response(
            RecommendationPage, {"items": [], "total": 0, "limit": limit, "offset": offset}
        )
    with read.pool.connection() as conn:
        items, total = queries.list_recommendations(
            conn, read.schema, limit=limit, offset=offset, today=date.today(), **vars(narrowed)
        )
    shown = published_fields if principal.sees_published_only else dict
    # Written by orjson (services/api/json_out.py): pydantic's check and serialisation of
    # the rows were a quarter of a page's CPU.
    rows = [shown(item) for item in items]
    return page_response(
        RecommendationPage, {"items": rows, "total": total, "limit": limit, "offset": offset}
    )


Basis = Literal["business", "recorded"]
BASIS_QUERY: Any = Query(
    description="with as_of: `business` (the default) answers by what had happened by "
    "then (each event's business date: imported and back-dated records included), "
    "`recorded` by what had been recorded by then"
)
OneOut = RecommendationOut | PublishedRecommendationOut  # type: ignore[valid-type]


@router.get(
    "/{recommendation_id}",
    summary="One recommendation, now or as of a past date",
    response_model=OneOut,
)
def get_one(
    recommendation_id: UUID,
    response: Response,
    read: Read,
    as_of: Annotated[date | None, Query(description="its state at the end of this day")] = None,
    basis: Annotated[Basis, BASIS_QUERY] = "business",
) -> BaseModel:
    from projections.engine.as_of import aggregate_as_of

    actor, store = read.actor, read.store

    current = load_visible(store, actor, recommendation_id)
    if as_of is not None:
        record_read(
            read.access, actor, AccessKind.AS_OF, recommendation_id, as_of=as_of, basis=basis
        )
    today = date.today()
    if as_of is None:
        response.headers["ETag"] = f'"{current.version}"'
        out = recommendation_out(current, today)
    else:
        past = aggregate_as_of(store, recommendation_id, as_of, basis=basis)
        if actor.principal.sees_published_only and not is_published(past):
            raise NotFound("recommendation", f"{recommendation_id} as of {as_of.isoformat()}")
        out = recommendation_out(past, today, as_of, basis)
    return published_recommendation(out) if actor.principal.sees_published_only else out


class HistoryOut(BaseModel):
    recommendation_id: UUID
    events: list[HistoryEntryOut] | list[PublishedHistoryEntryOut]


class TimelineOut(BaseModel):
    recommendation_id: UUID
    entries: list[dict[str, Any]]


@router.get(
    "/{recommendation_id}/timeline",
    summary="The audit timeline: each event in words, with every field's before -> after, "
    "in business-date order; each with the time it was recorded",
)
def timeline(
    recommendation_id: UUID,
    actor: Reader,
    store: StoreDep,
    conn: ReadConnection,
    schema: Schema,
    access: AccessDep,
    say: SpeechDep,
) -> TimelineOut:
    from projections.facts import FactMapper
    from projections.views.timeline import audit_timeline

    load_visible(store, actor, recommendation_id)
    record_read(access, actor, AccessKind.TIMELINE, recommendation_id)
    # read from the recommendation's own events, decoded as the store decodes them
    found = audit_timeline(conn, schema, recommendation_id, FactMapper.like(store.mapper))
    # the label is the event's msgid (projections/views/recommendation_fields.py LABELS)
    rows = [{**r, "label": say(r["label"])} for r in found]
    if actor.principal.sees_published_only:
        rows = published_timeline(rows)
    return TimelineOut(
        recommendation_id=recommendation_id, entries=timeline_in_business_order(rows)
    )


@router.get(
    "/{recommendation_id}/history",
    summary="Every event, with who, when (business date) and why, in business-date order; "
    "each with the time it was recorded",
)
def history(
    recommendation_id: UUID,
    actor: Reader,
    store: StoreDep,
    conn: ReadConnection,
    schema: Schema,
    access: AccessDep,
    say: SpeechDep,
) -> HistoryOut:
    from projections.views.inbox import list_tasks

    load_visible(store, actor, recommendation_id)
    record_read(access, actor, AccessKind.HISTORY, recommendation_id)
    events: list[HistoryEntryOut] | list[PublishedHistoryEntryOut]
    if actor.principal.sees_published_only:
        # tasks and the summaries (staff names, reasons) are internal
        events = published_history(history_entry(e) for e in store.events.get(recommendation_id))
    else:
        tasks, _ = list_tasks(
            conn, schema, state=None, recommendation_id=recommendation_id, limit=500
        )
        events = full_history(store, recommendation_id, [t["task_id"] for t in tasks], say)
    return HistoryOut(recommendation_id=recommendation_id, events=events)


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


@router.post(
    "/{recommendation_id}/origin",
    summary="Change its origin (source, bodies, session, cycle), SDGs or external id",
)
def record_origin(recommendation_id: UUID, body: RecordOrigin, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/reiterations", summary="Link to an earlier recommendation")
def reiterate(recommendation_id: UUID, body: Reiterate, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/withdrawal", summary="Withdraw (the reason is required)")
def withdraw(recommendation_id: UUID, body: WithdrawRecommendation, write: Ending) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/closure", summary="Close (the reason is required)")
def close(recommendation_id: UUID, body: CloseRecommendation, write: Ending) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/comments", summary="Add an internal comment")
def comment(recommendation_id: UUID, body: AddComment, write: Drafting) -> CommandOut:
    return _act(write, body, recommendation_id)


@router.post("/{recommendation_id}/publication", summary="Publish in the public register")
def publish(recommendation_id: UUID, body: PublishRecommendation, write: Publishing) -> CommandOut:
    return _act(write, body, recommendation_id)
