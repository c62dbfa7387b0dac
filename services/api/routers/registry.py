"""The things recommendations hang on: authorities (with their reply policy and escalation
ladder), places, visits, reports and their sending, and closure days; and the lists and
place histories read from the views."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from domain.authority import Authority
from domain.errors import NotFound
from domain.values import EscalationLevel, ReplyPolicy
from services.api.auth import Ability, Actor
from services.api.deps import ReadConnection, Schema, StoreDep, require
from services.api.errors import ERROR_RESPONSES
from services.api.threads import OneHopRoute
from services.api.writes import CommandOut, Write, run_command, write_options, writer
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

router = APIRouter(route_class=OneHopRoute, tags=["registry"], responses=ERROR_RESPONSES)

Registering = Annotated[Write, Depends(writer(Ability.REGISTER, write_options))]
# Writes on an existing authority or report also honour If-Match.
Amending = Annotated[Write, Depends(writer(Ability.REGISTER))]
Reader = Annotated[Actor, Depends(require(Ability.READ_ALL))]


class ItemsOut(BaseModel):
    items: list[dict[str, Any]]


@router.get("/authorities", summary="Every authority, with its number of recommendations")
def list_authorities(actor: Reader, conn: ReadConnection, schema: Schema) -> ItemsOut:
    from projections.views.status_registry import list_authorities as query

    return ItemsOut(items=[dict(row) for row in query(conn, schema)])


class PolicyOut(BaseModel):
    effective_from: date | None
    period_days: int
    day_kind: str
    urgent_period_days: int
    clock_starts: str = Field(description="what starts the reply clock: sending or receipt")


class LadderOut(BaseModel):
    effective_from: date | None
    levels: list[dict[str, Any]]


class ContactOut(BaseModel):
    email: str | None
    postal_address: str | None
    language: str = Field(description="the language of its letters and e-mails")


class AuthorityOut(BaseModel):
    id: UUID
    version: int
    name: str
    kind: str
    jurisdiction: str
    parent_id: UUID | None
    on: date = Field(description="the date the policy and ladder below are in force on")
    reply_policy: PolicyOut
    escalation_ladder: LadderOut
    policies: list[PolicyOut] = Field(description="every reply policy, oldest first")
    ladders: list[LadderOut] = Field(description="every escalation ladder, oldest first")
    contact: ContactOut = Field(description="where its letters and e-mails go")


def _since(day: date) -> date | None:
    return None if day == date.min else day  # in force since registration


@router.get(
    "/authorities/{authority_id}",
    summary="An authority, with the reply policy and escalation ladder in force on a date",
)
def get_authority(
    authority_id: UUID,
    actor: Reader,
    store: StoreDep,
    on: Annotated[date | None, Query(description="default: today")] = None,
) -> AuthorityOut:
    found = store.get(Authority, authority_id)
    day = on or date.today()

    def policy(p: ReplyPolicy) -> PolicyOut:
        return PolicyOut(
            effective_from=_since(p.effective_from),
            period_days=p.period_days,
            day_kind=p.day_kind.value,
            urgent_period_days=p.urgent_period_days,
            clock_starts=p.clock_starts.value,
        )

    def ladder(start: date, levels: list[EscalationLevel]) -> LadderOut:
        return LadderOut(effective_from=_since(start), levels=[lv.as_dict() for lv in levels])

    return AuthorityOut(
        id=found.id,
        version=found.version,
        name=found.name,
        kind=found.kind,
        jurisdiction=found.jurisdiction,
        parent_id=UUID(found.parent_id) if found.parent_id else None,
        on=day,
        reply_policy=policy(found.policy_on(day)),
        escalation_ladder=ladder(*found.ladder_in_force(day)),
        policies=[policy(p) for p in found.policies],
        ladders=[ladder(start, levels) for start, levels in found.ladders],
        contact=ContactOut(
            email=found.email,
            postal_address=found.postal_address,
            language=found.language.value,
        ),
    )


@router.get("/places", summary="Every place of detention (optionally one authority's)")
def list_places(
    actor: Reader, conn: ReadConnection, schema: Schema, authority_id: UUID | None = None
) -> ItemsOut:
    from projections.views.status_registry import list_places as query

    rows = query(conn, schema, authority_id=authority_id)
    return ItemsOut(items=[dict(row) for row in rows])


@router.get(
    "/reports",
    summary="Every report, with its date, its number of recommendations and its sendings: "
    "each authority it was sent to, when, and the reply due date that sending started",
)
def list_reports(actor: Reader, conn: ReadConnection, schema: Schema) -> ItemsOut:
    from projections.views.reports import report_sendings
    from projections.views.status_registry import list_reports as query

    details = report_sendings(conn, schema)
    items = []
    for row in query(conn, schema):
        item = dict(row)
        item.update(details.get(str(item["report_id"]), {"report_date": None, "sendings": []}))
        items.append(item)
    return ItemsOut(items=items)


@router.get(
    "/places/{place_id}/history",
    summary="A place's visits and recommendations, with their outcomes, oldest first",
)
def place_history(
    place_id: UUID, actor: Reader, conn: ReadConnection, schema: Schema
) -> dict[str, Any]:
    from projections.views.places import place_history as query

    found = query(conn, schema, place_id)
    if found is None:
        raise NotFound("place", place_id)
    return dict(found)


@router.post("/authorities", status_code=201, summary="Register an authority")
def register_authority(body: RegisterAuthority, write: Registering) -> CommandOut:
    return run_command(write, body)


@router.post("/authorities/{authority_id}/reply-policy", summary="Change the reply policy")
def change_reply_policy(authority_id: UUID, body: ChangeReplyPolicy, write: Amending) -> CommandOut:
    return run_command(write, body, target_id=authority_id)


@router.post(
    "/authorities/{authority_id}/escalation-ladder", summary="Change the escalation ladder"
)
def change_escalation_ladder(
    authority_id: UUID, body: ChangeEscalationLadder, write: Amending
) -> CommandOut:
    return run_command(write, body, target_id=authority_id)


@router.put(
    "/authorities/{authority_id}/contact",
    summary="Record the authority's contact details (e-mail, postal address, language)",
)
def record_authority_contact(
    authority_id: UUID, body: RecordAuthorityContact, write: Amending
) -> CommandOut:
    return run_command(write, body, target_id=authority_id)


@router.post("/places", status_code=201, summary="Register a place of detention")
def register_place(body: RegisterPlace, write: Registering) -> CommandOut:
    return run_command(write, body)


@router.post("/visits", status_code=201, summary="Record a visit")
def record_visit(body: RecordVisit, write: Registering) -> CommandOut:
    return run_command(write, body)


@router.post(
    "/reports",
    status_code=201,
    summary="Register a report and, with send_to, send it in the same command (all or nothing)",
)
def register_report(body: RegisterReport, write: Registering) -> CommandOut:
    return run_command(write, body)


@router.post(
    "/reports/{report_id}/sending", summary="Record that a report was sent to an authority"
)
def send_report(report_id: UUID, body: SendReport, write: Amending) -> CommandOut:
    return run_command(write, body, target_id=report_id)


@router.post("/closure-days", status_code=201, summary="Record an office closure day")
def record_closure_day(body: RecordClosureDay, write: Registering) -> CommandOut:
    return run_command(write, body)
