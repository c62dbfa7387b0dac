"""Commands on recommendations: drafting, the Double-SMART review, issue, the authority's
response, follow-up, assessment and verification, and the decisions the deadline
workflows record (reminder, missed deadline, escalation, implementation overdue)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from domain.attachments import ALLOWED_TYPES, Supports
from domain.errors import InvalidInput
from domain.origin import (
    MAX_BODIES,
    MAX_BODY_LENGTH,
    MAX_SDGS,
    MAX_SESSION_LENGTH,
    SDG_RULE,
    Source,
    check_sdg,
)
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    FollowUpKind,
    ImplementationStatus,
    Level,
    NonImplementationReason,
    Position,
    RecommendationKind,
)
from services.application.commands.base import (
    Command,
    Name,
    NoNul,
    RequiredReason,
    RuleBroken,
    TargetedCommand,
    Text,
)

ExternalId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul
]


def _sdg(value: str) -> str:
    try:
        return check_sdg(value)
    except InvalidInput as error:
        raise RuleBroken(error.rule_id, **error.values) from None


BodyName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_BODY_LENGTH), NoNul
]
Short = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SESSION_LENGTH),
    NoNul,
]
Sdg = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10),
    AfterValidator(_sdg),
    Field(description=SDG_RULE, examples=["16", "16.3", "16.a"]),
]
Bodies = Annotated[
    list[BodyName],
    Field(
        max_length=MAX_BODIES,
        description="who made the recommendation: one or many (the states of a UPR "
        "recommendation, a committee, an inspectorate)",
    ),
]
Sdgs = Annotated[list[Sdg], Field(max_length=MAX_SDGS, description="SDG goals and targets")]


class Origin(BaseModel):
    """Where a recommendation comes from and which SDGs it serves (domain/origin.py):
    given at drafting, changed with RecordOrigin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Source | None = Field(default=None, description="the mechanism it comes from")
    recommending_bodies: Bodies = Field(default_factory=list)
    session: Short | None = Field(default=None, description="e.g. a UPR session, a CPT visit")
    cycle: Short | None = Field(default=None, description="e.g. the UPR cycle: 4th")
    sdgs: Sdgs = Field(default_factory=list)


class Tags(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    themes: list[Name] = Field(default_factory=list, max_length=50)
    keywords: list[Name] = Field(default_factory=list, max_length=50)
    vulnerable_groups: list[Name] = Field(default_factory=list, max_length=50)
    detention_practices: list[Name] = Field(default_factory=list, max_length=50)
    problem_natures: list[Name] = Field(default_factory=list, max_length=5)

    def as_dict(self) -> dict[str, list[str]]:
        # the fields as given (lists of strings), without pydantic's serialiser: a draft
        # of every imported row asks
        return {field: list(getattr(self, field)) for field in _TAG_NAMES}


_TAG_NAMES = tuple(Tags.model_fields)
_ORIGIN_NAMES = tuple(Origin.model_fields)


class RecommendationCommand(TargetedCommand):
    """An action on one recommendation: its log lines carry the recommendation id."""

    subject: ClassVar[str] = "recommendation_id"


class DraftRecommendation(Origin, Command):
    """Draft a recommendation; with `issued_on`, issue it in the same transaction."""

    subject: ClassVar[str] = "recommendation_id"
    dated_by: ClassVar[str | None] = "issued_on"
    kind: RecommendationKind
    text: Text
    authority_id: UUID
    report_id: UUID | None = None
    place_id: UUID | None = None
    visit_id: UUID | None = None
    tags: Tags = Field(default_factory=Tags)
    staff: list[Name] = Field(default_factory=list, max_length=100)
    issued_on: date | None = None
    external_id: ExternalId | None = Field(
        default=None,
        description="The recommendation's id in the source it was imported from (kept as is).",
    )
    historic_before: date | None = Field(
        default=None,
        description="a historic record (an import): no reminder, missed deadline or "
        "escalation is ever due for a date before this day (the day of the import)",
    )

    def origin(self) -> dict[str, object]:
        """The origin's fields as JSON has them (the source by its value)."""
        found: dict[str, object] = {name: getattr(self, name) for name in _ORIGIN_NAMES}
        if self.source is not None:
            found["source"] = self.source.value
        return found


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
            raise RuleBroken("unknown criteria: {names}", names=", ".join(unknown))
        return self


class IssueRecommendation(RecommendationCommand):
    dated_by: ClassVar[str | None] = "issued_on"
    issued_on: date


class Reformulate(RecommendationCommand):
    text: Text


class Reiterate(RecommendationCommand):
    earlier_id: UUID


class RecordResponse(RecommendationCommand):
    """The authority's reply; `position` absent (null) for a reply that takes none yet
    ("under consideration"). Several replies over time: the latest position counts."""

    dated_by: ClassVar[str | None] = "received_on"
    received_on: date
    position: Position | None = None
    text: Text
    agreed_implementation_date: date | None = None


class ExtendReplyDeadline(RecommendationCommand):
    new_due: date


class RecordFollowUp(RecommendationCommand):
    dated_by: ClassVar[str | None] = "happened_on"
    kind: FollowUpKind
    summary: Text
    happened_on: date | None = None


class AssessImplementation(RecommendationCommand):
    dated_by: ClassVar[str | None] = "assessed_on"
    status: ImplementationStatus
    non_implementation_reason: NonImplementationReason | None = None
    verified: bool = False
    verification_method: Name | None = None
    assessed_on: date | None = None


class VerifyImplementation(RecommendationCommand):
    dated_by: ClassVar[str | None] = "verified_on"
    method: Name
    verified_on: date | None = None


class MapStakeholder(RecommendationCommand):
    actor: Name
    power: Level
    interest: Level


class ChangeTags(RecommendationCommand):
    tags: Tags


class RecordOrigin(Origin, RecommendationCommand):
    """Change where a recommendation comes from, its SDGs or its external id: only the
    fields given change (an empty list clears bodies or SDGs)."""

    external_id: ExternalId | None = None

    @model_validator(mode="after")
    def _something(self) -> RecordOrigin:
        if not self.model_fields_set - {"reason"}:
            raise ValueError(
                "give at least one of: source, recommending_bodies, session, cycle, sdgs, "
                "external_id"
            )
        return self

    def changes(self) -> dict[str, object]:
        return self.model_dump(include=self.model_fields_set - {"reason"}, mode="json")


class WithdrawRecommendation(RecommendationCommand):
    reason: RequiredReason


class CloseRecommendation(RecommendationCommand):
    reason: RequiredReason


# --- decisions of the deadline workflows (recorded by their activities) ---------------------


class RecordReplyReminder(RecommendationCommand):
    due_on: date
    #: the relay writes its letter, in its authority's letter of the day (#16)
    letters_batched: bool = False


class RecordReplyDeadlineMissed(RecommendationCommand):
    due_on: date


class RecordEscalation(RecommendationCommand):
    level: int = Field(ge=1)
    action: Name
    addressee: Name
    obligation_id: Name


class RecordImplementationOverdue(RecommendationCommand):
    due_on: date


# --- evidence, comments, the public register ------------------------------------------------


class AttachEvidence(RecommendationCommand):
    """An evidence document (stored first, by its SHA-256) attached to a response or a
    follow-up (by its `index`, from 0) or to the assessment."""

    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    filename: Name
    media_type: Annotated[str, Field(json_schema_extra={"enum": sorted(ALLOWED_TYPES)})]
    size: int = Field(ge=1)
    supports: Supports
    index: int | None = Field(default=None, ge=0)


class AddComment(RecommendationCommand):
    """An internal comment: in the history, never shown outside the NPM."""

    text: Text


class PublishRecommendation(RecommendationCommand):
    """Put an issued recommendation in the public register."""
