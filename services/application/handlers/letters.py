"""The handler of GenerateLetter: gathers what the letter says from the record (the
authority's name, address and language; the recommendations' references and texts; the
report; the ladder level in force on the due date), has it rendered and stored, and
records `LetterGenerated` with the documents' hashes on the report, or else on each
recommendation it names (one rendering, one stored pair of documents).

Rendering is deterministic, so a command re-run after a lost race, or a redelivered
activity, stores the same bytes (one row) and the executor records one event."""

from __future__ import annotations

from uuid import UUID

from domain.authority import Authority
from domain.errors import InvalidInput
from domain.letters import LetterContent, LetterItem, LetterKind, LetterRecord
from domain.recommendation import Recommendation
from domain.report import Report
from domain.values import Status
from services.application.commands.letters import GenerateLetter
from services.application.handlers.table import Changes, Context, handles

NEEDS_DUE_DATE = (
    LetterKind.REMINDER,
    LetterKind.DEADLINE_MISSED,
    LetterKind.ESCALATION,
    LetterKind.IMPLEMENTATION_OVERDUE,  # its due date: the agreed implementation date
)


@handles(GenerateLetter)
def generate_letter(ctx: Context, c: GenerateLetter) -> Changes:
    if ctx.letters is None:
        raise InvalidInput("kind", "this process cannot render letters (no document store)")
    if len(set(c.recommendation_ids)) != len(c.recommendation_ids):
        raise InvalidInput("recommendation_ids", "names a recommendation twice")
    recs = [
        ctx.reference(Recommendation, rid, f"recommendation_ids[{i}]")
        for i, rid in enumerate(c.recommendation_ids)
    ]
    report = ctx.reference(Report, c.report_id, "report_id") if c.report_id else None
    if c.kind is LetterKind.TRANSMITTAL and report is None:
        raise InvalidInput("report_id", "a transmittal letter goes with a report")
    if c.kind is not LetterKind.TRANSMITTAL and not recs:
        raise InvalidInput("recommendation_ids", "must name at least one recommendation")
    authority_id = c.authority_id or (UUID(recs[0].authority_id) if recs else None)
    if authority_id is None:
        raise InvalidInput("authority_id", "is required when no recommendation is named")
    authority = ctx.reference(Authority, authority_id, "authority_id")
    for i, rec in enumerate(recs):
        if rec.authority_id != str(authority.id):
            raise InvalidInput(f"recommendation_ids[{i}]", "is addressed to another authority")
        if report is not None and rec.report_id != str(report.id):
            raise InvalidInput(f"recommendation_ids[{i}]", "is not in this report")
        if rec.status is Status.DRAFT:
            raise InvalidInput(f"recommendation_ids[{i}]", "is a draft, addressed to no one yet")
    sending = report.sending_to(str(authority.id)) if report is not None else None
    dues = [rec.reply_due for rec in recs if rec.reply_due is not None]
    if c.kind is LetterKind.IMPLEMENTATION_OVERDUE:
        # what was overdue is the implementation agreed in the reply, not the reply
        dues = [r.agreed_implementation_date for r in recs if r.agreed_implementation_date]
    due = c.due_on or (min(dues) if dues else sending.reply_due if sending else None)
    if c.kind in NEEDS_DUE_DATE and due is None:
        raise InvalidInput("due_on", "is required: the recommendations have no reply due date")
    action = addressee = None
    if c.kind is LetterKind.ESCALATION:
        assert due is not None
        ladder = authority.ladder_on(due)
        if c.level is None or not 1 <= c.level <= len(ladder):
            raise InvalidInput(
                "level",
                "must be a level of the escalation ladder in force on {day} (it has {count})",
                day=due,
                count=len(ladder),
            )
        rung = ladder[c.level - 1]
        action, addressee = rung.action, rung.addressee
    elif c.level is not None:
        raise InvalidInput("level", "only an escalation letter has a level")
    language = c.language or authority.language
    content = LetterContent(
        kind=c.kind,
        language=language,
        dated=ctx.meta.business_date,
        letterhead=ctx.letters.letterhead,
        authority_name=authority.name,
        postal_address=authority.postal_address,
        items=tuple(LetterItem(rec.reference, rec.text, rec.reply_due) for rec in recs),
        report_title=report.title if report else None,
        report_date=report.report_date if report else None,
        due_on=due,
        level=c.level,
        action=action,
        addressee=addressee,
    )
    record = LetterRecord(
        kind=c.kind,
        language=language,
        authority_id=str(authority.id),
        recommendation_ids=[str(rec.id) for rec in recs],
        documents=ctx.letters.press(content),
        due_on=due,
        level=c.level,
    )
    if report is not None:
        report.record_letter(ctx.meta, record.as_event_fields())
        return report
    # Several outside one report (one letter per authority and day, workflows/
    # letter_batch.py): each one's history shows the one letter that names them all.
    for rec in recs:
        rec.record_letter(ctx.meta, record.as_event_fields())
    return recs
