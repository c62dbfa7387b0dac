"""Builders the tests and the benchmarks share: running a command as a given caller on a
given day, and the registry and recommendations most tests start from, all written
through the one executor as a caseworker would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.values import DayKind, EscalationLevel, RecommendationKind
from services.application.commands.base import Command
from services.application.commands.recommendations import DraftRecommendation
from services.application.commands.registry import LadderLevel, RegisterAuthority
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
        escalation_ladder=[LadderLevel.of(level) for level in (ladder or LADDER)],
    )


def authority(
    run: Commander,
    *,
    name: str = "Ministry of Justice",
    period: int = 30,
    day_kind: DayKind = DayKind.CALENDAR,
    urgent: int = 5,
    jurisdiction: str = "DE",
    ladder: list[EscalationLevel] | None = None,
) -> UUID:
    command = register_authority_command(
        name=name,
        period=period,
        day_kind=day_kind,
        urgent=urgent,
        jurisdiction=jurisdiction,
        ladder=ladder,
    )
    return run(command).aggregate_id


def issued_recommendation(
    run: Commander,
    authority_id: UUID,
    issued_on: date = DAY,
    *,
    text: str = "Ensure daily access to fresh air",
    kind: RecommendationKind = RecommendationKind.VISIT,
) -> UUID:
    command = DraftRecommendation(
        kind=kind, text=text, authority_id=authority_id, issued_on=issued_on
    )
    return run(command, on=issued_on).aggregate_id
