"""Commands as they arrive at the edges (HTTP API, CLI, spreadsheet import, demo loader).

Each command is a pydantic model, so malformed input is refused with the field and the rule
before the domain is touched; `execute` then turns it into one call on the application
with the actor's EventMeta. The domain's own rules (transitions, references, deadlines)
stay in the domain: these models check shape, the aggregates check meaning.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

import structlog
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from domain.application import CommandResult, Rectrack
from domain.errors import DomainError, InvalidInput
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
    VisitKind,
)

log = structlog.get_logger(__name__)


def _no_nul(value: str) -> str:
    # The views keep text in PostgreSQL text columns, which cannot hold NUL: one such
    # character let into an event would stop every projection at that event.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


NoNul = AfterValidator(_no_nul)
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000), NoNul
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), NoNul]
Days = Annotated[int, Field(ge=1, le=3650)]


class Command(BaseModel):
    """A request to change the record. `reason` is the free-text why, kept on the event."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: whether the command acts on an existing aggregate (its id comes from the URL/CLI)
    targeted: ClassVar[bool] = False
    #: the log field that names the aggregate the command acts on
    subject: ClassVar[str] = "aggregate_id"

    reason: (
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), NoNul] | None
    ) = None

    def business_date(self, today: date) -> date:
        """The date the fact refers to; most commands record something happening today."""
        return today

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        raise NotImplementedError


class TargetedCommand(Command):
    """A command on an existing aggregate, whose id arrives beside the body."""

    targeted: ClassVar[bool] = True

    @staticmethod
    def target(target_id: UUID | None) -> UUID:
        if target_id is None:
            raise InvalidInput("id", "is required for this command")
        return target_id


# --- authorities, places, visits, reports -------------------------------------------------


class LadderLevel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Name
    addressee: Name
    wait_days: Days

    def to_value(self) -> EscalationLevel:
        return EscalationLevel(self.action, self.addressee, self.wait_days)


class RegisterAuthority(Command):
    name: Name
    kind: Name
    jurisdiction: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    parent_id: UUID | None = None
    reply_period_days: Days
    day_kind: DayKind = DayKind.CALENDAR
    urgent_reply_period_days: Days
    escalation_ladder: list[LadderLevel] = Field(default_factory=list, max_length=20)

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.register_authority(
            meta,
            name=self.name,
            kind=self.kind,
            jurisdiction=self.jurisdiction,
            parent_id=self.parent_id,
            reply_period_days=self.reply_period_days,
            day_kind=self.day_kind,
            urgent_reply_period_days=self.urgent_reply_period_days,
            escalation_ladder=[level.to_value() for level in self.escalation_ladder],
        )


class ChangeReplyPolicy(TargetedCommand):
    effective_from: date
    period_days: Days
    day_kind: DayKind
    urgent_period_days: Days

    def business_date(self, today: date) -> date:
        return self.effective_from

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.change_reply_policy(
            meta,
            self.target(target_id),
            effective_from=self.effective_from,
            period_days=self.period_days,
            day_kind=self.day_kind,
            urgent_period_days=self.urgent_period_days,
            expected_version=expected_version,
        )


class ChangeEscalationLadder(TargetedCommand):
    effective_from: date
    levels: list[LadderLevel] = Field(max_length=20)

    def business_date(self, today: date) -> date:
        return self.effective_from

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.change_escalation_ladder(
            meta,
            self.target(target_id),
            effective_from=self.effective_from,
            levels=[level.to_value() for level in self.levels],
            expected_version=expected_version,
        )


class RegisterPlace(Command):
    name: Name
    place_type: PlaceType
    region: Name | None = None
    authority_id: UUID

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.register_place(
            meta,
            name=self.name,
            place_type=self.place_type,
            region=self.region,
            authority_id=self.authority_id,
        )


class RecordVisit(Command):
    place_id: UUID
    start_date: date
    end_date: date
    kind: VisitKind = VisitKind.REGULAR
    team: list[Name] = Field(default_factory=list, max_length=100)

    def business_date(self, today: date) -> date:
        return self.start_date

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.record_visit(
            meta,
            place_id=self.place_id,
            start_date=self.start_date,
            end_date=self.end_date,
            kind=self.kind,
            team=list(self.team),
        )


class RegisterReport(Command):
    kind: ReportKind
    title: Name
    report_date: date
    link: Annotated[str, StringConstraints(max_length=2000), NoNul] | None = None
    visit_ids: list[UUID] = Field(default_factory=list, max_length=500)

    def business_date(self, today: date) -> date:
        return self.report_date

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.register_report(
            meta,
            kind=self.kind,
            title=self.title,
            report_date=self.report_date,
            link=self.link,
            visit_ids=list(self.visit_ids),
        )


class SendReport(TargetedCommand):
    authority_id: UUID
    sent_on: date

    def business_date(self, today: date) -> date:
        return self.sent_on

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.send_report(
            meta,
            self.target(target_id),
            authority_id=self.authority_id,
            sent_on=self.sent_on,
            expected_version=expected_version,
        )


class RecordClosureDay(Command):
    jurisdiction: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    day: date
    description: Name

    def business_date(self, today: date) -> date:
        return self.day

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.record_closure_day(meta, self.jurisdiction, self.day, self.description)


# --- recommendations ------------------------------------------------------------------------


class Tags(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    themes: list[Name] = Field(default_factory=list, max_length=50)
    keywords: list[Name] = Field(default_factory=list, max_length=50)
    vulnerable_groups: list[Name] = Field(default_factory=list, max_length=50)
    detention_practices: list[Name] = Field(default_factory=list, max_length=50)
    problem_natures: list[Name] = Field(default_factory=list, max_length=5)

    def as_dict(self) -> dict[str, list[str]]:
        return {field: list(values) for field, values in self.model_dump().items()}


class RecommendationCommand(TargetedCommand):
    """An action on one recommendation: its log lines carry the recommendation id."""

    subject: ClassVar[str] = "recommendation_id"


class DraftRecommendation(Command):
    subject: ClassVar[str] = "recommendation_id"
    kind: RecommendationKind
    text: Text
    authority_id: UUID
    report_id: UUID | None = None
    place_id: UUID | None = None
    visit_id: UUID | None = None
    tags: Tags = Field(default_factory=Tags)
    staff: list[Name] = Field(default_factory=list, max_length=100)
    issued_on: date | None = None

    def business_date(self, today: date) -> date:
        return self.issued_on or today

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.draft_recommendation(
            meta,
            kind=self.kind,
            text=self.text,
            authority_id=self.authority_id,
            report_id=self.report_id,
            place_id=self.place_id,
            visit_id=self.visit_id,
            tags=self.tags.as_dict(),
            staff=list(self.staff),
            issued_on=self.issued_on,
        )


class RecordReview(RecommendationCommand):
    """The Double-SMART checklist: every criterion met or not, with optional notes."""

    # The criteria's names are published in the OpenAPI document, so that clients (the
    # web UI's checklist) take them from the server instead of keeping a copy.
    criteria: dict[str, bool] = Field(
        json_schema_extra={"propertyNames": {"enum": list(DOUBLE_SMART_CRITERIA)}}
    )
    notes: dict[str, Annotated[str, StringConstraints(max_length=2000), NoNul]] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _known_criteria(self) -> RecordReview:
        unknown = sorted(set(self.criteria) - set(DOUBLE_SMART_CRITERIA))
        if unknown:
            raise ValueError(f"unknown criteria: {', '.join(unknown)}")
        return self

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.record_review(
            meta,
            self.target(target_id),
            criteria=dict(self.criteria),
            notes=dict(self.notes),
            expected_version=expected_version,
        )


class IssueRecommendation(RecommendationCommand):
    issued_on: date

    def business_date(self, today: date) -> date:
        return self.issued_on

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.issue_recommendation(
            meta,
            self.target(target_id),
            issued_on=self.issued_on,
            expected_version=expected_version,
        )


class Reformulate(RecommendationCommand):
    text: Text

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.reformulate(
            meta, self.target(target_id), text=self.text, expected_version=expected_version
        )


class Reiterate(RecommendationCommand):
    earlier_id: UUID

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.reiterate(
            meta,
            self.target(target_id),
            earlier_id=self.earlier_id,
            expected_version=expected_version,
        )


class RecordResponse(RecommendationCommand):
    received_on: date
    position: Position
    text: Text
    agreed_implementation_date: date | None = None

    def business_date(self, today: date) -> date:
        return self.received_on

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.record_response(
            meta,
            self.target(target_id),
            received_on=self.received_on,
            position=self.position,
            text=self.text,
            agreed_implementation_date=self.agreed_implementation_date,
            expected_version=expected_version,
        )


class ExtendReplyDeadline(RecommendationCommand):
    new_due: date

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.extend_reply_deadline(
            meta, self.target(target_id), new_due=self.new_due, expected_version=expected_version
        )


class RecordFollowUp(RecommendationCommand):
    kind: FollowUpKind
    summary: Text
    happened_on: date | None = None

    def business_date(self, today: date) -> date:
        return self.happened_on or today

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.record_follow_up(
            meta,
            self.target(target_id),
            kind=self.kind,
            summary=self.summary,
            expected_version=expected_version,
        )


class AssessImplementation(RecommendationCommand):
    status: ImplementationStatus
    non_implementation_reason: NonImplementationReason | None = None
    verified: bool = False
    verification_method: Name | None = None
    assessed_on: date | None = None

    def business_date(self, today: date) -> date:
        return self.assessed_on or today

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.assess_implementation(
            meta,
            self.target(target_id),
            status=self.status,
            reason=self.non_implementation_reason,
            verified=self.verified,
            verification_method=self.verification_method,
            expected_version=expected_version,
        )


class VerifyImplementation(RecommendationCommand):
    method: Name
    verified_on: date | None = None

    def business_date(self, today: date) -> date:
        return self.verified_on or today

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.verify_implementation(
            meta, self.target(target_id), method=self.method, expected_version=expected_version
        )


class MapStakeholder(RecommendationCommand):
    actor: Name
    power: Level
    interest: Level

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.map_stakeholder(
            meta,
            self.target(target_id),
            actor=self.actor,
            power=self.power,
            interest=self.interest,
            expected_version=expected_version,
        )


class ChangeTags(RecommendationCommand):
    tags: Tags

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.change_tags(
            meta,
            self.target(target_id),
            tags=self.tags.as_dict(),
            expected_version=expected_version,
        )


class WithdrawRecommendation(RecommendationCommand):
    reason: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), NoNul
    ]

    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.withdraw_recommendation(
            meta, self.target(target_id), expected_version=expected_version
        )


class CloseRecommendation(RecommendationCommand):
    def run(
        self,
        app: Rectrack,
        meta: EventMeta,
        target_id: UUID | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        return app.close_recommendation(
            meta, self.target(target_id), expected_version=expected_version
        )


def execute(
    app: Rectrack,
    command: Command,
    *,
    actor_id: str,
    actor_role: str,
    command_id: str,
    today: date,
    target_id: UUID | None = None,
    expected_version: int | None = None,
) -> CommandResult:
    """Run one command as an actor. Domain errors are logged with the command id and the
    aggregate id bound, then re-raised for the edge to turn into its own error shape."""
    meta = EventMeta(
        actor_id=actor_id,
        actor_role=actor_role,
        business_date=command.business_date(today),
        command_id=command_id,
        reason=command.reason,
    )
    bound = log.bind(command=type(command).__name__, command_id=command_id, actor_id=actor_id)
    if target_id is not None:
        bound = bound.bind(**{command.subject: str(target_id)})
    try:
        result = command.run(app, meta, target_id, expected_version)
    except DomainError as error:
        bound.warning("command refused", code=error.code, error=str(error))
        raise
    bound.info(
        "command applied", **{command.subject: str(result.aggregate_id)}, version=result.version
    )
    return result
