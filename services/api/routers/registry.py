"""The things recommendations hang on: authorities (with their reply policy and escalation
ladder), places, visits, reports and their sending, and closure days; and the lists and
place histories read from the views."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from domain.values import EscalationLevel, ReplyPolicy
from services.api.auth import Ability, Actor, require
from services.api.errors import ERROR_RESPONSES
from services.api.writes import (
    CommandOut,
    WriteOptions,
    run_command,
    versioned_write_options,
    write_options,
)
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
from services.application.runtime import Runtime

router = APIRouter(tags=["registry"], responses=ERROR_RESPONSES)

Registrar = Annotated[Actor, Depends(require(Ability.REGISTER))]
Options = Annotated[WriteOptions, Depends(write_options)]
# Writes on an existing authority or report also honour If-Match.
Versioned = Annotated[WriteOptions, Depends(versioned_write_options)]
Reader = Annotated[Actor, Depends(require(Ability.READ_ALL))]


def _schema(request: Request) -> str:
    runtime: Runtime = request.app.state.runtime
    return runtime.settings.database_schema


class ItemsOut(BaseModel):
    items: list[dict[str, Any]]


@router.get("/authorities", summary="Every authority, with its number of recommendations")
def list_authorities(request: Request, actor: Reader) -> ItemsOut:
    from projections.queries import list_authorities as query

    with request.app.state.read_pool.connection() as conn:
        return ItemsOut(items=[dict(row) for row in query(conn, _schema(request))])


class PolicyOut(BaseModel):
    effective_from: date | None
    period_days: int
    day_kind: str
    urgent_period_days: int


class LadderOut(BaseModel):
    effective_from: date | None
    levels: list[dict[str, Any]]


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


def _since(day: date) -> date | None:
    return None if day == date.min else day  # in force since registration


@router.get(
    "/authorities/{authority_id}",
    summary="An authority, with the reply policy and escalation ladder in force on a date",
)
def get_authority(
    authority_id: UUID,
    request: Request,
    actor: Reader,
    on: Annotated[date | None, Query(description="default: today")] = None,
) -> AuthorityOut:
    runtime: Runtime = request.app.state.runtime
    found = runtime.app.get_authority(authority_id)
    day = on or date.today()

    def policy(p: ReplyPolicy) -> PolicyOut:
        return PolicyOut(
            effective_from=_since(p.effective_from),
            period_days=p.period_days,
            day_kind=p.day_kind.value,
            urgent_period_days=p.urgent_period_days,
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
    )


@router.get("/places", summary="Every place of detention (optionally one authority's)")
def list_places(request: Request, actor: Reader, authority_id: UUID | None = None) -> ItemsOut:
    from projections.queries import list_places as query

    with request.app.state.read_pool.connection() as conn:
        rows = query(conn, _schema(request), authority_id=authority_id)
    return ItemsOut(items=[dict(row) for row in rows])


@router.get("/reports", summary="Every report, with its number of recommendations")
def list_reports(request: Request, actor: Reader) -> ItemsOut:
    from projections.queries import list_reports as query

    with request.app.state.read_pool.connection() as conn:
        return ItemsOut(items=[dict(row) for row in query(conn, _schema(request))])


@router.get(
    "/places/{place_id}/history",
    summary="A place's visits and recommendations, with their outcomes, oldest first",
)
def place_history(place_id: UUID, request: Request, actor: Reader) -> dict[str, Any]:
    from domain.errors import NotFound
    from projections.queries import place_history as query

    with request.app.state.read_pool.connection() as conn:
        found = query(conn, _schema(request), place_id)
    if found is None:
        raise NotFound("place", place_id)
    return dict(found)


@router.post("/authorities", status_code=201, summary="Register an authority")
def register_authority(
    body: RegisterAuthority,
    request: Request,
    response: Response,
    actor: Registrar,
    options: Options,
) -> CommandOut:
    return run_command(request, response, actor, body, options)


@router.post("/authorities/{authority_id}/reply-policy", summary="Change the reply policy")
def change_reply_policy(
    authority_id: UUID,
    body: ChangeReplyPolicy,
    request: Request,
    response: Response,
    actor: Registrar,
    options: Versioned,
) -> CommandOut:
    return run_command(request, response, actor, body, options, target_id=authority_id)


@router.post(
    "/authorities/{authority_id}/escalation-ladder", summary="Change the escalation ladder"
)
def change_escalation_ladder(
    authority_id: UUID,
    body: ChangeEscalationLadder,
    request: Request,
    response: Response,
    actor: Registrar,
    options: Versioned,
) -> CommandOut:
    return run_command(request, response, actor, body, options, target_id=authority_id)


@router.post("/places", status_code=201, summary="Register a place of detention")
def register_place(
    body: RegisterPlace, request: Request, response: Response, actor: Registrar, options: Options
) -> CommandOut:
    return run_command(request, response, actor, body, options)


@router.post("/visits", status_code=201, summary="Record a visit")
def record_visit(
    body: RecordVisit, request: Request, response: Response, actor: Registrar, options: Options
) -> CommandOut:
    return run_command(request, response, actor, body, options)


@router.post("/reports", status_code=201, summary="Register a report")
def register_report(
    body: RegisterReport, request: Request, response: Response, actor: Registrar, options: Options
) -> CommandOut:
    return run_command(request, response, actor, body, options)


@router.post(
    "/reports/{report_id}/sending", summary="Record that a report was sent to an authority"
)
def send_report(
    report_id: UUID,
    body: SendReport,
    request: Request,
    response: Response,
    actor: Registrar,
    options: Versioned,
) -> CommandOut:
    return run_command(request, response, actor, body, options, target_id=report_id)


@router.post("/closure-days", status_code=201, summary="Record an office closure day")
def record_closure_day(
    body: RecordClosureDay,
    request: Request,
    response: Response,
    actor: Registrar,
    options: Options,
) -> CommandOut:
    return run_command(request, response, actor, body, options)
