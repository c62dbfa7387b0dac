"""The reply clock: the one place that says from which day a recommendation's reply is due
(domain/report.py states the rule). The issue handlers and the report's sending both ask
here, so a recommendation is due on the same day whichever came first."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.authority import Authority
from domain.errors import InvalidInput
from domain.recommendation import Recommendation
from domain.report import Report
from domain.values import ClockStart, RecommendationKind, ReportKind, Status
from services.application.handlers.table import Context


def clock_start(authority: Authority, sent_on: date, received_on: date | None) -> date:
    """The day the reply clock starts for a report sent on `sent_on`: the sending, or the
    receipt when the authority's policy in force on the sending says so."""
    if authority.policy_on(sent_on).clock_starts == ClockStart.RECEIPT:
        if received_on is None:
            raise InvalidInput(
                "received_on",
                "is required: the reply clock of {authority} starts when it receives the report",
                authority=authority.name,
            )
        return received_on
    return sent_on


def issue(
    ctx: Context, recommendation: Recommendation, authority: Authority, issued_on: date
) -> list[Aggregate]:
    """Issue `recommendation` on `issued_on` with its reply due date, and return what the
    issue changed. An urgent recommendation, or one outside a report, runs from its
    issue. One in a report already sent to its authority runs from the later of its issue
    and the report's clock start. One in a report not yet sent has no due date yet: the
    report holds it for the sending."""
    urgent = recommendation.kind == RecommendationKind.URGENT
    if urgent or recommendation.report_id is None:
        due = ctx.store.reply_due(authority, issued_on, urgent=urgent)
        recommendation.issue(ctx.meta, issued_on, due, four_eyes=ctx.four_eyes)
        return [recommendation]
    report = ctx.load(Report, UUID(recommendation.report_id))
    sending = report.sending_to(recommendation.authority_id)
    if sending is not None:
        start = max(issued_on, sending.clock_started_on)
        due = ctx.store.reply_due(authority, start, urgent=_urgent_report(report))
        recommendation.issue(ctx.meta, issued_on, due, four_eyes=ctx.four_eyes)
        return [recommendation]
    recommendation.issue(ctx.meta, issued_on, None, four_eyes=ctx.four_eyes)
    report.hold_for_sending(ctx.meta, str(recommendation.id), recommendation.authority_id)
    return [recommendation, report]


def _urgent_report(report: Report) -> bool:
    return report.kind == ReportKind.URGENT_NOTICE.value


def send(
    ctx: Context,
    report: Report,
    authority_id: UUID,
    sent_on: date,
    received_on: date | None,
    field: str = "authority_id",
) -> list[Aggregate]:
    """Send `report` to an authority: the sending, and the start of the reply clock of
    every recommendation the report held for it (still awaiting a reply)."""
    authority = ctx.reference(Authority, authority_id, field)
    report.check_sending(str(authority_id), sent_on, received_on)
    start = clock_start(authority, sent_on, received_on)
    due = ctx.store.reply_due(authority, start, urgent=_urgent_report(report))
    held = list(report.awaiting.get(str(authority_id), []))
    report.send_to(ctx.meta, str(authority_id), sent_on, due, received_on)
    started: list[Aggregate] = []
    for rec_id in held:
        recommendation = ctx.load(Recommendation, UUID(rec_id))
        if recommendation.status != Status.ISSUED or recommendation.reply_due is not None:
            continue  # answered, withdrawn or closed in the meantime
        recommendation_due = ctx.store.reply_due(
            authority,
            max(start, recommendation.issued_on or start),
            urgent=_urgent_report(report),
        )
        recommendation.start_reply_clock(ctx.meta, start, recommendation_due)
        started.append(recommendation)
    return started
