"""Commands on the registry: authorities and their reply policy and escalation ladder,
places, visits, reports, and the closure days of a jurisdiction."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.values import (
    ClockStart,
    DayKind,
    EscalationLevel,
    Language,
    PlaceType,
    ReportKind,
    VisitKind,
)
from services.application.commands.base import (
    Command,
    Days,
    Name,
    NoNul,
    TargetedCommand,
)

Jurisdiction = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class LadderLevel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Name
    addressee: Name
    wait_days: Days

    def to_value(self) -> EscalationLevel:
        return EscalationLevel(self.action, self.addressee, self.wait_days)

    @classmethod
    def of(cls, level: EscalationLevel) -> LadderLevel:
        return cls(action=level.action, addressee=level.addressee, wait_days=level.wait_days)


class RegisterAuthority(Command):
    name: Name
    kind: Name
    jurisdiction: Jurisdiction
    parent_id: UUID | None = None
    reply_period_days: Days
    day_kind: DayKind = DayKind.CALENDAR
    urgent_reply_period_days: Days
    escalation_ladder: list[LadderLevel] = Field(default_factory=list, max_length=20)
    reply_clock_starts: ClockStart = Field(
        ClockStart.SENDING,
        description="what starts the reply clock of a report's recommendations: the "
        "report's sending (default) or its receipt by the authority",
    )


class ChangeReplyPolicy(TargetedCommand):
    dated_by: ClassVar[str | None] = "effective_from"
    effective_from: date
    period_days: Days
    day_kind: DayKind
    urgent_period_days: Days
    clock_starts: ClockStart | None = Field(
        None, description="sending or receipt; default: as in the policy before"
    )


class ChangeEscalationLadder(TargetedCommand):
    dated_by: ClassVar[str | None] = "effective_from"
    effective_from: date
    levels: list[LadderLevel] = Field(max_length=20)


class RecordAuthorityContact(TargetedCommand):
    """The authority's contact details as a whole (a field left out is cleared): where
    letters and e-mails go, and the language they are written in."""

    email: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=254), NoNul] | None
    ) = Field(None, description="one address, e.g. registry@ministry.example")
    postal_address: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] | None
    ) = Field(None, description="several lines, as printed on a letter")
    language: Language = Field(
        Language.EN, description="the language of its letters and e-mails: en, fr, es or ru"
    )


class RegisterPlace(Command):
    name: Name
    place_type: PlaceType
    region: Name | None = None
    authority_id: UUID


class RecordVisit(Command):
    dated_by: ClassVar[str | None] = "start_date"
    place_id: UUID
    start_date: date
    end_date: date
    kind: VisitKind = VisitKind.REGULAR
    team: list[Name] = Field(default_factory=list, max_length=100)


class RegisterReport(Command):
    dated_by: ClassVar[str | None] = "report_date"
    kind: ReportKind
    title: Name
    report_date: date
    link: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    visit_ids: list[UUID] = Field(default_factory=list, max_length=500)
    send_to: list[UUID] = Field(
        default_factory=list,
        max_length=50,
        description="authorities the report is sent to, in the same command: all or nothing",
    )
    sent_on: date | None = Field(None, description="the sending date; default: report_date")
    received_on: date | None = Field(
        None, description="receipt by the authorities (needed where their clock starts on it)"
    )


class SendReport(TargetedCommand):
    dated_by: ClassVar[str | None] = "sent_on"
    authority_id: UUID
    sent_on: date
    received_on: date | None = None


class RecordClosureDay(Command):
    dated_by: ClassVar[str | None] = "day"
    jurisdiction: Jurisdiction
    day: date
    description: Name
