"""Handlers of the registry commands: authorities, places, visits, reports, closure days."""

from __future__ import annotations

from domain.authority import Authority, validate_ladder, validate_policy
from domain.calendar import ClosureCalendar
from domain.deadlines import is_known_jurisdiction
from domain.errors import InvalidInput
from domain.place import Place
from domain.report import Report
from domain.values import ReportKind
from domain.visit import Visit
from services.application.commands.registry import (
    ChangeEscalationLadder,
    ChangeReplyPolicy,
    RecordClosureDay,
    RecordVisit,
    RegisterAuthority,
    RegisterPlace,
    RegisterReport,
    SendReport,
)
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
            "jurisdiction", f"{c.jurisdiction!r} is not a country code with a known calendar"
        )
    if c.parent_id is not None:
        ctx.load(Authority, c.parent_id)
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
    )


@handles(ChangeReplyPolicy)
def change_reply_policy(ctx: Context, c: ChangeReplyPolicy) -> Authority:
    authority = ctx.target(Authority)
    authority.change_reply_policy(
        ctx.meta, c.effective_from, c.period_days, c.day_kind, c.urgent_period_days
    )
    return authority


@handles(ChangeEscalationLadder)
def change_escalation_ladder(ctx: Context, c: ChangeEscalationLadder) -> Authority:
    authority = ctx.target(Authority)
    authority.change_escalation_ladder(
        ctx.meta, c.effective_from, [level.to_value() for level in c.levels]
    )
    return authority


@handles(RegisterPlace)
def register_place(ctx: Context, c: RegisterPlace) -> Place:
    ctx.load(Authority, c.authority_id)
    return Place(
        meta=ctx.meta,
        name=c.name,
        place_type=c.place_type.value,
        region=c.region,
        authority_id=str(c.authority_id),
    )


@handles(RecordVisit)
def record_visit(ctx: Context, c: RecordVisit) -> Visit:
    ctx.load(Place, c.place_id)
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
    for visit_id in c.visit_ids:
        ctx.load(Visit, visit_id)
    return Report(
        meta=ctx.meta,
        kind=c.kind.value,
        title=c.title,
        report_date=c.report_date,
        link=c.link,
        visit_ids=[str(v) for v in c.visit_ids],
    )


@handles(SendReport)
def send_report(ctx: Context, c: SendReport) -> Report:
    report = ctx.target(Report)
    authority = ctx.load(Authority, c.authority_id)
    urgent = report.kind == ReportKind.URGENT_NOTICE.value
    due = ctx.store.reply_due(authority, c.sent_on, urgent=urgent)
    report.send_to(ctx.meta, str(c.authority_id), c.sent_on, due)
    return report
