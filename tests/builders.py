"""Builders the tests and the benchmarks share: running a command as a given caller on a
given day, and the registry and recommendations most tests start from, all written
through the one executor as a caseworker would; and, for stores too large to write one
command at a time, recommendations with a random lifecycle built for the batched import."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import psycopg

from domain.letters import LetterKind
from domain.recommendation import Recommendation
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    DayKind,
    EscalationLevel,
    EventMeta,
    FollowUpKind,
    ImplementationStatus,
    Level,
    NonImplementationReason,
    PlaceType,
    Position,
    RecommendationKind,
    ReportKind,
    Role,
)
from projections.engine.catchup import log_position, wait_until_caught_up
from services.application.commands.base import Command
from services.application.commands.letters import GenerateLetter
from services.application.commands.recommendations import DraftRecommendation, RecordResponse
from services.application.commands.registry import (
    LadderLevel,
    RegisterAuthority,
    RegisterPlace,
    RegisterReport,
)
from services.application.executor import Caller, CommandResult, Executor

CASEWORKER = Caller("caseworker-1", "caseworker")
DAY = date(2026, 1, 5)

LADDER = [
    EscalationLevel("send reminder letter", "head of institution", 14),
    EscalationLevel("send escalation letter", "ministry", 30),
]


@dataclass
class Commander:
    """Runs one command through the executor: as `caller` (a caseworker by default), with
    `on` as today (so as the business date of commands that carry no date of their own)."""

    executor: Executor
    caller: Caller = CASEWORKER

    def __call__(
        self,
        command: Command,
        target_id: UUID | None = None,
        *,
        on: date = DAY,
        command_id: str | None = None,
        caller: Caller | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return self.executor.execute(
            command,
            caller or self.caller,
            command_id=command_id,
            today=on,
            target_id=target_id,
            expected_version=expected_version,
        )


def register_authority_command(
    *,
    name: str = "Ministry of Justice",
    period: int = 30,
    day_kind: DayKind = DayKind.CALENDAR,
    urgent: int = 5,
    jurisdiction: str = "DE",
    ladder: list[EscalationLevel] | None = None,
) -> RegisterAuthority:
    return RegisterAuthority(
        name=name,
        kind="ministry",
        jurisdiction=jurisdiction,
        reply_period_days=period,
        day_kind=day_kind,
        urgent_reply_period_days=urgent,
        escalation_ladder=[
            LadderLevel.of(level) for level in (LADDER if ladder is None else ladder)
        ],
    )


def authority(run: Commander, *, on: date = DAY, **options: Any) -> UUID:
    """Register an authority (options as for register_authority_command); its id."""
    return run(register_authority_command(**options), on=on).aggregate_id


def issued_recommendation(
    run: Commander,
    authority_id: UUID,
    issued_on: date = DAY,
    *,
    text: str = "Ensure daily access to fresh air",
    kind: RecommendationKind = RecommendationKind.VISIT,
    report_id: UUID | None = None,
) -> UUID:
    command = DraftRecommendation(
        kind=kind, text=text, authority_id=authority_id, report_id=report_id, issued_on=issued_on
    )
    return run(command, on=issued_on).aggregate_id


OPEN_AIR = "Give every prisoner one hour in the open air each day"
DEADLINE_WORKFLOW = Caller("system:deadline-workflow", Role.SYSTEM.value)


def sent_report_recommendation(
    run: Commander,
    authority_id: UUID,
    issued_on: date,
    *,
    title: str,
    text: str = OPEN_AIR,
    link: str | None = None,
    place_id: UUID | None = None,
    visit_id: UUID | None = None,
) -> tuple[UUID, UUID]:
    """(report, recommendation): a visit report registered on `issued_on` and sent to the
    authority that day, with one recommendation in it issued the same day."""
    report = run(
        RegisterReport(
            kind=ReportKind.VISIT_REPORT,
            title=title,
            report_date=issued_on,
            link=link,
            visit_ids=[visit_id] if visit_id else [],
            send_to=[authority_id],
        ),
        on=issued_on,
    ).aggregate_id
    rec = run(
        DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text=text,
            authority_id=authority_id,
            place_id=place_id,
            visit_id=visit_id,
            report_id=report,
            issued_on=issued_on,
        ),
        on=issued_on,
    ).aggregate_id
    return report, rec


def missed_deadline_letter(
    executor: Executor,
    report_id: UUID,
    authority_id: UUID,
    recommendation_id: UUID,
    due_on: date,
    *,
    command_id: str,
) -> None:
    """The letter the obligation's missed-deadline step writes (workflows/activities.py),
    recorded on the report the day after `due_on`, as the deadline workflow."""
    executor.execute(
        GenerateLetter(
            kind=LetterKind.DEADLINE_MISSED,
            report_id=report_id,
            authority_id=authority_id,
            recommendation_ids=[recommendation_id],
            due_on=due_on,
        ),
        DEADLINE_WORKFLOW,
        command_id=command_id,
        today=due_on + timedelta(days=1),
    )


def views_caught_up(database_url: str, schema: str, *, timeout: float = 180) -> None:
    """Returns once every view has applied every event written so far."""
    with psycopg.connect(database_url) as conn:
        last = log_position(conn, schema)
    wait_until_caught_up(database_url, schema, last, timeout=timeout)


def reply(
    run: Commander,
    recommendation_id: UUID,
    received_on: date = date(2026, 1, 20),
    *,
    position: Position = Position.ACCEPTED,
    text: str = "ok",
    agreed_implementation_date: date | None = None,
    reason: str | None = None,
    caller: Caller | None = None,
    command_id: str | None = None,
) -> CommandResult:
    """The authority's reply to a recommendation, received (and recorded) on `received_on`."""
    body = {"received_on": received_on, "position": position, "text": text, "reason": reason}
    command = RecordResponse.model_validate(
        {**body, "agreed_implementation_date": agreed_implementation_date}
    )
    return run(command, recommendation_id, on=received_on, caller=caller, command_id=command_id)


def drafted_recommendation(
    run: Commander,
    authority_id: UUID,
    *,
    text: str = "Ensure daily access to fresh air",
    kind: RecommendationKind = RecommendationKind.VISIT,
    on: date = DAY,
) -> UUID:
    command = DraftRecommendation(kind=kind, text=text, authority_id=authority_id)
    return run(command, on=on).aggregate_id


def place(run: Commander, authority_id: UUID, *, name: str = "Prison A", on: date = DAY) -> UUID:
    command = RegisterPlace(name=name, place_type=PlaceType.PRISON, authority_id=authority_id)
    return run(command, on=on).aggregate_id


# --- aggregates built unsaved, for the batched import -----------------------------------------


def import_meta(day: date, actor_id: str = "importer") -> EventMeta:
    """Event metadata for an aggregate built for the batched import (no executor)."""
    return EventMeta(actor_id, "caseworker", day, str(uuid.uuid4()), None)


def unsaved_recommendation(
    authority_id: UUID | str,
    drafted_on: date,
    *,
    text: str = "Ensure daily access to fresh air",
    tags: dict[str, list[str]] | None = None,
    meta: EventMeta | None = None,
) -> Recommendation:
    """A visit recommendation drafted on `drafted_on`, built on the aggregate and not saved:
    many are saved at once with `store.save_batch`."""
    return Recommendation(
        meta=meta or import_meta(drafted_on),
        kind=RecommendationKind.VISIT.value,
        text=text,
        authority_id=str(authority_id),
        report_id=None,
        place_id=None,
        visit_id=None,
        tags=tags or {},
        staff=[],
    )


def unsaved_issued_recommendation(
    authority_id: UUID | str,
    issued_on: date,
    *,
    text: str = "Ensure daily access to fresh air",
    reply_due: date | None = None,
    tags: dict[str, list[str]] | None = None,
    meta: EventMeta | None = None,
) -> Recommendation:
    """The same, drafted and issued on `issued_on` (due 30 days later unless told)."""
    stamp = meta or import_meta(issued_on)
    rec = unsaved_recommendation(authority_id, issued_on, text=text, tags=tags, meta=stamp)
    rec.issue(stamp, issued_on, reply_due or issued_on + timedelta(days=30))
    return rec


# --- recommendations with a random lifecycle, for the batched import -------------------------

YEARS = list(range(2016, 2026))
THEMES = [
    "outdoor exercise",
    "health care",
    "solitary confinement",
    "overcrowding",
    "food",
    "contact with family",
    "complaints",
    "use of force",
    "legal aid",
    "sanitation",
    "education",
    "work",
    "mental health",
    "restraint",
    "searches",
]
KEYWORDS = ["training", "budget", "infrastructure", "records", "staffing", "policy", "cctv"]
GROUPS = ["women", "juveniles", "foreigners", "lgbti", "elderly", "disabled"]


def _meta(day: date, rng: random.Random) -> EventMeta:
    return import_meta(day, f"user-{rng.randrange(50)}")


def lifecycle(
    rng: random.Random, authority_id: str, place: tuple[str, str] | None
) -> Recommendation:
    """A recommendation drafted in one of YEARS (about `place`, a (place id, authority id)
    pair, or thematic), taken through a random, realistic lifecycle of 1 to 12 events:
    review, issue, reminders, a reply or none, follow-ups, assessment, verification,
    closure, stakeholders and tag changes. Built on the aggregate, unsaved: save many at
    once with `store.save_batch` (the executor runs a few hundred commands a second, too
    few for a store of a million events)."""
    year = rng.choice(YEARS)
    drafted = date(year, 1, 1) + timedelta(days=rng.randrange(330))
    rec = Recommendation(
        meta=_meta(drafted, rng),
        kind="visit" if place else "thematic",
        text=f"{rng.choice(THEMES).capitalize()}: ensure that {rng.choice(KEYWORDS)} "
        f"measures are taken in every unit ({rng.randrange(10**6)})",
        authority_id=authority_id,
        report_id=None,
        place_id=place[0] if place else None,
        visit_id=None,
        tags={
            "themes": rng.sample(THEMES, rng.choice((1, 1, 2))),
            "keywords": rng.sample(KEYWORDS, rng.choice((0, 1, 2))),
            "vulnerable_groups": rng.sample(GROUPS, rng.choice((0, 0, 1))),
        },
        staff=[f"staff-{rng.randrange(30)}"],
    )
    if rng.random() < 0.04:
        return rec  # still a draft
    rec.record_review(
        _meta(drafted, rng), {c: rng.random() < 0.8 for c in DOUBLE_SMART_CRITERIA}, {}
    )
    if rng.random() < 0.15:
        rec.map_stakeholder(_meta(drafted, rng), f"unit-{rng.randrange(20)}", Level.HIGH, Level.LOW)
    issued = drafted + timedelta(days=rng.randrange(1, 20))
    due = issued + timedelta(days=30)
    rec.issue(_meta(issued, rng), issued, due)
    if rng.random() < 0.35:
        rec.record_reply_reminder(_meta(due - timedelta(days=5), rng), due)
    if rng.random() < 0.12:
        if rng.random() < 0.5:
            rec.record_reply_deadline_missed(_meta(due + timedelta(days=1), rng), due)
        return rec  # no reply (yet)
    if rng.random() < 0.05:
        others = [t for t in THEMES if t not in rec.tags["themes"]]
        rec.change_tags(_meta(issued, rng), {"themes": rng.sample(others, 2)})
    replied = issued + timedelta(days=rng.randrange(5, 70))
    position = rng.choice(
        [Position.ACCEPTED, Position.ACCEPTED, Position.PARTIALLY_ACCEPTED, Position.REJECTED]
    )
    agreed = replied + timedelta(days=90) if position != Position.REJECTED else None
    rec.record_response(_meta(replied, rng), replied, position, "Reply", agreed)
    for _ in range(rng.randrange(0, 4)):
        rec.record_follow_up(_meta(replied, rng), rng.choice(list(FollowUpKind)), "Followed up")
    if rng.random() < 0.25:
        return rec
    status = rng.choice(list(ImplementationStatus))
    reason = (
        rng.choice(list(NonImplementationReason))
        if status
        in (ImplementationStatus.NOT_IMPLEMENTED, ImplementationStatus.PARTIALLY_IMPLEMENTED)
        else None
    )
    assessed = replied + timedelta(days=rng.randrange(30, 200))
    rec.assess_implementation(_meta(assessed, rng), status, reason, False, None)
    if status == ImplementationStatus.IMPLEMENTED and rng.random() < 0.6:
        rec.verify_implementation(_meta(assessed, rng), "follow-up visit")
    if rng.random() < 0.5:
        rec.close(replace(_meta(assessed, rng), reason="implemented and verified"))
    return rec
