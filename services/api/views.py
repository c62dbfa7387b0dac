"""What the API shows of a recommendation and of its history.

One recommendation is read from its aggregate rather than from a view: it is a handful of
events, and reading it from the store means a caseworker always sees the action they just
took. Lists, inboxes and statistics come from the projections (each view's module in
projections/views/ holds its queries).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, create_model

from domain.origin import blank_origin, deadline_is_history
from domain.publication import (
    PUBLISHABLE_FIELDS,
    published_actor,
    published_data,
    published_events,
    published_fields,
)
from domain.recommendation import Recommendation, allowed_actions
from domain.task import Task
from domain.values import EventMeta, ImplementationStatus, Status
from services.application.correspondence import correspondence
from services.application.store import Rectrack
from services.application.summaries import Names, summaries
from services.application.task_titles import title_in
from services.application.wording import Say, english


class ReviewOut(BaseModel):
    criteria: dict[str, bool]
    notes: dict[str, str]
    met: int
    reviewed_on: date


class ResponseOut(BaseModel):
    received_on: date
    position: str | None = Field(description="none: a reply that takes no position yet")
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
    reference: str | None = Field(
        default=None, description="NPM-2024-0123; none for recommendations drafted before"
    )
    external_id: str | None = Field(
        default=None, description="its id in the source it was imported from"
    )
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
    basis: Literal["business", "recorded"] | None = None
    published_on: date | None = Field(
        default=None, description="when the NPM put it in the public register"
    )
    evidence: list[dict[str, Any]] = Field(
        default_factory=list,
        description="evidence documents: sha256 (download at evidence/{sha256}), filename, "
        "media_type, size, supports (response, follow_up, assessment) and index",
    )
    source: str | None = Field(default=None, description="the mechanism it comes from")
    recommending_bodies: list[str] = Field(default_factory=list)
    session: str | None = None
    cycle: str | None = None
    sdgs: list[str] = Field(default_factory=list, description="SDG goals and targets")
    historic_before: date | None = Field(
        default=None, description="imported as a historic record on this day"
    )
    historic: bool = Field(
        default=False,
        description="a historic record whose pending deadline fell before its import: "
        "it stands where it stood, and nothing is due",
    )


_PUBLISHED: dict[str, Any] = {
    name: (field.annotation, field)
    for name, field in RecommendationOut.model_fields.items()
    if name in PUBLISHABLE_FIELDS
}
PublishedRecommendationOut: type[BaseModel] = create_model(
    "PublishedRecommendationOut",
    __doc__="A recommendation as its authority's liaison sees it: publishable fields only "
    "(domain/publication.py).",
    **_PUBLISHED,
)


def published_recommendation(out: RecommendationOut) -> BaseModel:
    """The publishable part of a recommendation's answer."""
    return PublishedRecommendationOut.model_validate(published_fields(dict(out)))


def recommendation_out(
    rec: Recommendation,
    today: date,
    as_of: date | None = None,
    basis: Literal["business", "recorded"] | None = None,
) -> RecommendationOut:
    day = as_of or today
    origin = getattr(rec, "origin", None) or blank_origin()
    historic_before = getattr(rec, "historic_before", None)
    historic = deadline_is_history(historic_before, _pending_due(rec))
    overdue = (
        rec.status == Status.ISSUED
        and rec.reply_due is not None
        and rec.reply_due < day
        and not historic
    )
    return RecommendationOut(
        id=rec.id,
        version=rec.version,
        # getattr: a state folded by the as-of engine from events stored before references
        reference=getattr(rec, "reference", None),
        external_id=getattr(rec, "external_id", None),
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
        basis=basis,
        published_on=getattr(rec, "published_on", None),
        evidence=list(getattr(rec, "evidence", [])),
        source=origin["source"],
        recommending_bodies=origin["recommending_bodies"],
        session=origin["session"],
        cycle=origin["cycle"],
        sdgs=origin["sdgs"],
        historic_before=historic_before,
        historic=historic,
    )


def _pending_due(rec: Recommendation) -> date | None:
    """The date of the authority's pending obligation (as the status view's
    obligation_due): its reply while none came, else an agreed implementation date."""
    if rec.status == Status.ISSUED:
        return rec.reply_due
    if rec.status in (Status.RESPONDED, Status.ASSESSED) and rec.implementation != (
        ImplementationStatus.IMPLEMENTED
    ):
        return rec.agreed_implementation_date
    return None


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
    summary: str = Field(default="", description="one line for people: who did what, where and why")
    task_id: UUID | None = Field(
        default=None, description="set on the events of a task opened for the recommendation"
    )
    about_id: UUID | None = Field(
        default=None,
        description="set on the events recorded elsewhere about it: its report's letters "
        "and the e-mails that sent its letters (the id of that report or e-mail)",
    )


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


def history_entry(
    event: Any, summary: str = "", task_id: UUID | None = None, about_id: UUID | None = None
) -> HistoryEntryOut:
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
        summary=summary,
        task_id=task_id,
        about_id=about_id,
    )


def full_history(
    store: Rectrack,
    recommendation_id: UUID,
    task_ids: Iterable[UUID | str],
    say: Say = english,
) -> list[HistoryEntryOut]:
    """Every event of a recommendation, of the tasks opened for it and of the letters and
    e-mails about it kept elsewhere (services/application/correspondence.py), each with its
    one-line summary (services/application/summaries.py) said by `say`, in business-date
    order, then in the order they were recorded."""
    names = Names(store, say, title_in(say))
    events = list(store.events.get(recommendation_id))
    entries = [
        history_entry(event, line)
        for event, line in zip(events, summaries(events, names), strict=True)
    ]
    elsewhere = correspondence(store, store.get(Recommendation, recommendation_id))
    entries += [
        history_entry(event, line, about_id=about)
        for (event, about), line in zip(
            elsewhere, summaries([e for e, _ in elsewhere], names), strict=True
        )
    ]
    for task_id in task_ids:
        task = store.find(Task, UUID(str(task_id)))
        if task is None:
            continue
        task_events = list(store.events.get(task.id))
        entries += [
            history_entry(event, line, task.id)
            for event, line in zip(task_events, summaries(task_events, names, task), strict=True)
        ]
    return sorted(entries, key=lambda e: (e.business_date or e.recorded_at.date(), e.recorded_at))


def _business_order(entry: HistoryEntryOut | PublishedHistoryEntryOut) -> tuple[date, int]:
    return entry.business_date or entry.recorded_at.date(), entry.version


def in_business_order(entries: Iterable[HistoryEntryOut]) -> list[HistoryEntryOut]:
    """By business date (what happened when), recording order within a day; events
    without a business date by the day they were recorded."""
    return sorted(entries, key=_business_order)


class PublishedHistoryEntryOut(BaseModel):
    """One publishable event, as the authority's liaison sees it: no reason, no command,
    and who acted only when it was the authority's own people."""

    version: int
    event: str
    recorded_at: datetime
    business_date: date | None
    actor_id: str | None
    actor_role: str | None
    data: dict[str, Any]


def published_history(entries: Iterable[HistoryEntryOut]) -> list[PublishedHistoryEntryOut]:
    """Of the entries in recording order, what an outsider may see, in business order."""
    shown = []
    for entry in published_events((e.event, e) for e in entries):
        role, actor = published_actor(entry.actor_role, entry.actor_id)
        shown.append(
            PublishedHistoryEntryOut(
                version=entry.version,
                event=entry.event,
                recorded_at=entry.recorded_at,
                business_date=entry.business_date,
                actor_id=actor,
                actor_role=role,
                data=published_data(entry.event, entry.data),
            )
        )
    return sorted(shown, key=_business_order)


def timeline_in_business_order(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit timeline's rows by business date, recording order within a day (each
    row's before -> after is as it was recorded)."""
    return sorted(
        rows, key=lambda r: (r.get("business_date") or r["recorded_at"].date(), r["version"])
    )


_TIMELINE_KEYS = ("version", "event", "label", "recorded_at", "business_date")


def published_timeline(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Of the audit timeline's rows in recording order, what an outsider may see: the
    publishable events from the issue on, their publishable changes and details."""
    shown = []
    for row in published_events((r["event"], r) for r in rows):
        role, actor = published_actor(row.get("actor_role"), row.get("actor_id"))
        shown.append(
            {
                **{key: row.get(key) for key in _TIMELINE_KEYS},
                "actor_id": actor,
                "actor_role": role,
                "changes": [
                    change
                    for change in row.get("changes") or []
                    if change.get("field") in PUBLISHABLE_FIELDS
                ],
                "details": published_data(row["event"], row.get("details") or {}),
            }
        )
    return shown
