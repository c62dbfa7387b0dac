"""Handlers of the registry commands: authorities, places, visits, reports, closure days."""

from __future__ import annotations

from dataclasses import replace

from eventsourcing.domain import Aggregate

from domain.authority import Authority, validate_ladder, validate_policy
from domain.calendar import ClosureCalendar
from domain.deadlines import is_known_jurisdiction
from domain.errors import InvalidInput
from domain.place import Place
from domain.report import Report
from domain.visit import Visit
from services.application.commands.registry import (
    ChangeEscalationLadder,
    ChangeReplyPolicy,
    RecordAuthorityContact,
    RecordClosureDay,
    RecordVisit,
    RegisterAuthority,
    RegisterPlace,
    RegisterReport,
    SendReport,
)
from services.application.handlers import clock
from services.application.handlers.table import Context, handles


@handles(RecordClosureDay)
def record_closure_day(ctx: Context, c: RecordClosureDay) -> ClosureCalendar:
    calendar = ctx.store.find(ClosureCalendar, ClosureCalendar.create_id(c.jurisdiction))
    if calendar is None:
        calendar = ClosureCalendar(jurisdiction=c.jurisdiction)
    calendar.record_closure(ctx.meta, c.day, c.description)
    return calendar


@handles(RegisterAuthority)
def register_authority(ctx: Context, c: RegisterAuthority) -> Authority:
    if not is_known_jurisdiction(c.jurisdiction):
        raise InvalidInput(
            "jurisdiction",
            "{value} is not a country code with a known calendar",
            value=repr(c.jurisdiction),
        )
    if c.parent_id is not None:
        ctx.reference(Authority, c.parent_id, "parent_id")
    ladder = [level.to_value() for level in c.escalation_ladder]
    validate_policy(c.reply_period_days, c.urgent_reply_period_days)
    validate_ladder(ladder)
    return Authority(
        meta=ctx.meta,
        name=c.name,
        kind=c.kind,
        jurisdiction=c.jurisdiction,
        parent_id=str(c.parent_id) if c.parent_id else None,
        reply_period_days=c.reply_period_days,
        day_kind=c.day_kind.value,
        urgent_reply_period_days=c.urgent_reply_period_days,
        escalation_ladder=[level.as_dict() for level in ladder],
        reply_clock_starts=c.reply_clock_starts.value,
    )


@handles(ChangeReplyPolicy)
def change_reply_policy(ctx: Context, c: ChangeReplyPolicy) -> Authority:
    authority = ctx.target(Authority)
    authority.change_reply_policy(
        ctx.meta,
        c.effective_from,
        c.period_days,
        c.day_kind,
        c.urgent_period_days,
        c.clock_starts,
    )
    return authority


@handles(ChangeEscalationLadder)
def change_escalation_ladder(ctx: Context, c: ChangeEscalationLadder) -> Authority:
    authority = ctx.target(Authority)
    authority.change_escalation_ladder(
        ctx.meta, c.effective_from, [level.to_value() for level in c.levels]
    )
    return authority


@handles(RecordAuthorityContact)
def record_authority_contact(ctx: Context, c: RecordAuthorityContact) -> Authority:
    authority = ctx.target(Authority)
    authority.record_contact(ctx.meta, c.email or None, c.postal_address or None, c.language)
    return authority


@handles(RegisterPlace)
def register_place(ctx: Context, c: RegisterPlace) -> Place:
    ctx.reference(Authority, c.authority_id, "authority_id")
    return Place(
        meta=ctx.meta,
        name=c.name,
        place_type=c.place_type.value,
        region=c.region,
        authority_id=str(c.authority_id),
    )


@handles(RecordVisit)
def record_visit(ctx: Context, c: RecordVisit) -> Visit:
    ctx.reference(Place, c.place_id, "place_id")
    if c.end_date < c.start_date:
        raise InvalidInput("end_date", "must not precede start_date")
    return Visit(
        meta=ctx.meta,
        place_id=str(c.place_id),
        start_date=c.start_date,
        end_date=c.end_date,
        kind=c.kind.value,
        team=list(c.team),
    )


@handles(RegisterReport)
def register_report(ctx: Context, c: RegisterReport) -> Report:
    """Registers the report and, with `send_to`, sends it in the same save: a sending that
    fails (an unknown authority, a date before the report's) leaves no report either."""
    for visit_id in c.visit_ids:
        ctx.reference(Visit, visit_id, "visit_ids")
    if c.send_to and c.sent_on is None and c.received_on is not None:
        raise InvalidInput("sent_on", "is required when received_on is given")
    if len(set(c.send_to)) != len(c.send_to):
        raise InvalidInput("send_to", "names an authority twice")
    report = Report(
        meta=ctx.meta,
        kind=c.kind.value,
        title=c.title,
        report_date=c.report_date,
        link=c.link,
        visit_ids=[str(v) for v in c.visit_ids],
    )
    sent_on = c.sent_on or c.report_date
    # the sending is dated by its own day, as a SendReport would be
    sending = replace(ctx, meta=replace(ctx.meta, business_date=sent_on))
    for index, authority_id in enumerate(c.send_to):
        # a new report holds no recommendation yet: nothing else changes
        clock.send(sending, report, authority_id, sent_on, c.received_on, f"send_to[{index}]")
    return report


@handles(SendReport)
def send_report(ctx: Context, c: SendReport) -> list[Aggregate]:
    report = ctx.target(Report)
    started = clock.send(ctx, report, c.authority_id, c.sent_on, c.received_on)
    return [report, *started]
