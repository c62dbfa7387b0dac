"""The things recommendations hang on: authorities (with their reply policy and escalation
ladder), places, visits, reports and their sending, and closure days."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response

from services.api.auth import Ability, Actor, require
from services.api.errors import ERROR_RESPONSES
from services.api.writes import CommandOut, WriteOptions, run_command, write_options
from services.commands import (
    ChangeEscalationLadder,
    ChangeReplyPolicy,
    RecordClosureDay,
    RecordVisit,
    RegisterAuthority,
    RegisterPlace,
    RegisterReport,
    SendReport,
)

router = APIRouter(tags=["registry"], responses=ERROR_RESPONSES)

Registrar = Annotated[Actor, Depends(require(Ability.REGISTER))]
Options = Annotated[WriteOptions, Depends(write_options)]


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
    options: Options,
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
    options: Options,
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
    options: Options,
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
