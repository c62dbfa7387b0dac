"""Handlers of the recommendation commands: each loads the recommendation it acts on (at
the version the caller expects) and calls the aggregate method that triggers its event."""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.authority import Authority
from domain.errors import InvalidInput
from domain.origin import clean_origin
from domain.place import Place
from domain.recommendation import TAG_FIELDS, Recommendation, clean_tags
from domain.reference import ReferenceSequence
from domain.report import Report
from domain.visit import Visit
from services.application.commands.recommendations import (
    AddComment,
    AssessImplementation,
    AttachEvidence,
    ChangeTags,
    CloseRecommendation,
    DraftRecommendation,
    ExtendReplyDeadline,
    IssueRecommendation,
    MapStakeholder,
    PublishRecommendation,
    RecordEscalation,
    RecordFollowUp,
    RecordImplementationOverdue,
    RecordOrigin,
    RecordReplyDeadlineMissed,
    RecordReplyReminder,
    RecordResponse,
    RecordReview,
    Reformulate,
    Reiterate,
    VerifyImplementation,
    WithdrawRecommendation,
)
from services.application.handlers import clock
from services.application.handlers.table import Changes, Context, handles


@handles(DraftRecommendation)
def draft_recommendation(ctx: Context, c: DraftRecommendation) -> Changes:
    authority = ctx.reference(Authority, c.authority_id, "authority_id")
    if c.report_id is not None:
        ctx.reference(Report, c.report_id, "report_id")
    if c.place_id is not None:
        ctx.reference(Place, c.place_id, "place_id")
    if c.visit_id is not None:
        ctx.reference(Visit, c.visit_id, "visit_id")
    given = c.tags.as_dict()
    if c.historic_before is not None and ctx.today is not None and c.historic_before > ctx.today:
        # a later day would silence deadlines still to come
        raise InvalidInput("historic_before", "must not be after today (the day of the import)")
    reference, sequence = _next_reference(ctx)
    recommendation = Recommendation(
        meta=ctx.meta,
        kind=c.kind.value,
        text=c.text,
        authority_id=str(c.authority_id),
        report_id=str(c.report_id) if c.report_id else None,
        place_id=str(c.place_id) if c.place_id else None,
        visit_id=str(c.visit_id) if c.visit_id else None,
        tags={f: clean_tags(f, given.get(f, [])) for f in TAG_FIELDS},
        staff=list(c.staff),
        reference=reference,
        external_id=c.external_id,
        origin=clean_origin(c.origin()),
        historic_before=c.historic_before,
    )
    changed: list[Aggregate] = [recommendation, sequence]
    if c.issued_on is not None:
        changed += [a for a in clock.issue(ctx, recommendation, authority, c.issued_on)[1:]]
    return changed


@lru_cache(maxsize=256)
def _sequence_id(prefix: str, year: int) -> UUID:
    # a name-based uuid computed once per prefix and year, not once per draft (an import)
    return ReferenceSequence.create_id(prefix, year)


def _next_reference(ctx: Context) -> tuple[str, ReferenceSequence]:
    """The next reference of the drafting year, from the sequence of the configured prefix
    and that year (created with its first number). The sequence is saved with the draft."""
    year = ctx.meta.business_date.year
    sequence_id = _sequence_id(ctx.reference_prefix, year)
    staged = ctx.pending.get(sequence_id)
    if isinstance(staged, ReferenceSequence):
        sequence = staged
    else:
        sequence = ctx.store.find(ReferenceSequence, sequence_id) or ReferenceSequence(
            prefix=ctx.reference_prefix, year=year
        )
    (reference,) = sequence.allocate(ctx.meta)
    return reference, sequence


@handles(RecordReview)
def record_review(ctx: Context, c: RecordReview) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_review(ctx.meta, dict(c.criteria), dict(c.notes), four_eyes=ctx.four_eyes)
    return recommendation


@handles(IssueRecommendation)
def issue_recommendation(ctx: Context, c: IssueRecommendation) -> Changes:
    recommendation = ctx.target(Recommendation)
    authority = ctx.load(Authority, UUID(recommendation.authority_id))
    # the due date follows the reply clock's one rule (handlers/clock.py)
    return clock.issue(ctx, recommendation, authority, c.issued_on)


@handles(Reformulate)
def reformulate(ctx: Context, c: Reformulate) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.reformulate(ctx.meta, c.text)
    return recommendation


@handles(Reiterate)
def reiterate(ctx: Context, c: Reiterate) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    ctx.reference(Recommendation, c.earlier_id, "earlier_id")
    recommendation.reiterate(ctx.meta, c.earlier_id)
    return recommendation


@handles(RecordResponse)
def record_response(ctx: Context, c: RecordResponse) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_response(
        ctx.meta, c.received_on, c.position, c.text, c.agreed_implementation_date
    )
    return recommendation


@handles(ExtendReplyDeadline)
def extend_reply_deadline(ctx: Context, c: ExtendReplyDeadline) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.extend_reply_deadline(ctx.meta, c.new_due)
    return recommendation


@handles(RecordFollowUp)
def record_follow_up(ctx: Context, c: RecordFollowUp) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_follow_up(ctx.meta, c.kind, c.summary)
    return recommendation


@handles(AssessImplementation)
def assess_implementation(ctx: Context, c: AssessImplementation) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.assess_implementation(
        ctx.meta, c.status, c.non_implementation_reason, c.verified, c.verification_method
    )
    return recommendation


@handles(VerifyImplementation)
def verify_implementation(ctx: Context, c: VerifyImplementation) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.verify_implementation(ctx.meta, c.method)
    return recommendation


@handles(MapStakeholder)
def map_stakeholder(ctx: Context, c: MapStakeholder) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.map_stakeholder(ctx.meta, c.actor, c.power, c.interest)
    return recommendation


@handles(ChangeTags)
def change_tags(ctx: Context, c: ChangeTags) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.change_tags(ctx.meta, c.tags.as_dict())
    return recommendation


@handles(RecordOrigin)
def record_origin(ctx: Context, c: RecordOrigin) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_origin(ctx.meta, c.changes())
    return recommendation


@handles(WithdrawRecommendation)
def withdraw_recommendation(ctx: Context, c: WithdrawRecommendation) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.withdraw(ctx.meta)
    return recommendation


@handles(CloseRecommendation)
def close_recommendation(ctx: Context, c: CloseRecommendation) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.close(ctx.meta)
    return recommendation


# --- decisions of the deadline workflows ----------------------------------------------------


@handles(RecordReplyReminder)
def record_reply_reminder(ctx: Context, c: RecordReplyReminder) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_reply_reminder(ctx.meta, c.due_on, c.letters_batched)
    return recommendation


@handles(RecordReplyDeadlineMissed)
def record_reply_deadline_missed(ctx: Context, c: RecordReplyDeadlineMissed) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_reply_deadline_missed(ctx.meta, c.due_on)
    return recommendation


@handles(RecordEscalation)
def record_escalation(ctx: Context, c: RecordEscalation) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_escalation(ctx.meta, c.level, c.action, c.addressee, c.obligation_id)
    return recommendation


@handles(RecordImplementationOverdue)
def record_implementation_overdue(ctx: Context, c: RecordImplementationOverdue) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.record_implementation_overdue(ctx.meta, c.due_on)
    return recommendation


# --- evidence, comments, the public register ------------------------------------------------


@handles(AttachEvidence)
def attach_evidence(ctx: Context, c: AttachEvidence) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.attach_evidence(ctx.meta, c.model_dump(exclude={"reason"}, mode="json"))
    return recommendation


@handles(AddComment)
def add_comment(ctx: Context, c: AddComment) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.add_comment(ctx.meta, c.text)
    return recommendation


@handles(PublishRecommendation)
def publish_recommendation(ctx: Context, c: PublishRecommendation) -> Recommendation:
    recommendation = ctx.target(Recommendation)
    recommendation.publish(ctx.meta)
    return recommendation
