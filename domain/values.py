"""Value objects and vocabularies shared by the aggregates.

The vocabularies follow the APT's recommendation-tracking checklist (see DESIGN.md), so
that a statistic "by nature of problem" means the same thing in every NPM that uses us.
Values are plain strings in events so stored history stays readable without this code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PlaceType(StrEnum):
    PRISON = "prison"
    PRE_TRIAL_DETENTION = "pre_trial_detention"
    POLICE_CUSTODY = "police_custody"
    IMMIGRATION_DETENTION = "immigration_detention"
    PSYCHIATRIC_INSTITUTION = "psychiatric_institution"
    SOCIAL_CARE_HOME = "social_care_home"
    JUVENILE_INSTITUTION = "juvenile_institution"
    MILITARY = "military"
    OTHER = "other"


class VisitKind(StrEnum):
    REGULAR = "regular"
    FOLLOW_UP = "follow_up"
    AD_HOC = "ad_hoc"
    THEMATIC = "thematic"


class ReportKind(StrEnum):
    VISIT_REPORT = "visit_report"
    THEMATIC_REPORT = "thematic_report"
    ANNUAL_REPORT = "annual_report"
    URGENT_NOTICE = "urgent_notice"
    PRELIMINARY_OBSERVATIONS = "preliminary_observations"


class RecommendationKind(StrEnum):
    VISIT = "visit"
    THEMATIC = "thematic"
    URGENT = "urgent"
    ANNUAL_REPORT = "annual_report"
    PRELIMINARY_OBSERVATION = "preliminary_observation"


class Status(StrEnum):
    """Lifecycle stage. Position and implementation are tracked separately, because an
    authority can accept and still not implement, and both facts matter."""

    DRAFT = "draft"
    ISSUED = "issued"
    RESPONDED = "responded"
    ASSESSED = "assessed"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


TERMINAL_STATUSES = frozenset({Status.WITHDRAWN, Status.CLOSED})


class Position(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    NOTED = "noted"


class ImplementationStatus(StrEnum):
    IMPLEMENTED = "implemented"
    PARTIALLY_IMPLEMENTED = "partially_implemented"
    IN_PROGRESS = "in_progress"
    NOT_IMPLEMENTED = "not_implemented"


class NonImplementationReason(StrEnum):
    BUDGET = "budget"
    NOT_UNDERSTOOD = "not_understood"
    RESISTANCE = "resistance"
    LEGAL_OBSTACLE = "legal_obstacle"
    OTHER = "other"


class FollowUpKind(StrEnum):
    VISIT = "visit"
    LETTER = "letter"
    MEETING = "meeting"
    ACTION_PLAN = "action_plan"
    WORKING_GROUP = "working_group"
    TRAINING = "training"
    COMPLAINT = "complaint"
    MEDIA = "media"
    PARLIAMENT = "parliament"
    SPT = "spt"
    CAT = "cat"
    CPT = "cpt"


class DayKind(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


class ClockStart(StrEnum):
    """What starts an authority's reply clock for the recommendations of a report: the
    day the NPM sent it, or the day the authority received it."""

    SENDING = "sending"
    RECEIPT = "receipt"


class Language(StrEnum):
    """The languages letters, e-mails and the web UI are written in (the APT's four)."""

    EN = "en"
    FR = "fr"
    ES = "es"
    RU = "ru"


class Level(StrEnum):
    """Power or interest of a stakeholder, for the stakeholder map."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class NatureOfProblem(StrEnum):
    PROCEDURES = "procedures"
    MATERIAL_CONDITIONS = "material_conditions"
    ATTITUDES = "attitudes"
    PRACTICES = "practices"
    LAWS = "laws"


DOUBLE_SMART_CRITERIA: tuple[str, ...] = (
    "specific",
    "measurable",
    "achievable",
    "results_oriented",
    "time_bound",
    "solution_suggestive",
    "mindful_of_prioritisation",
    "argued",
    "root_cause_responsive",
    "targeted",
)


class Role(StrEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    COMPLIANCE = "compliance"
    AUDITOR = "auditor"
    AUTHORITY_LIAISON = "authority_liaison"
    SYSTEM = "system"


@dataclass(frozen=True)
class EventMeta:
    """Who did it, for which business date, under which command, and why.

    Carried by every event (DESIGN.md rule 2). `business_date` is the date the fact
    refers to (the day a reply arrived), not the day it was typed; the store's own
    timestamp is the recording time.
    """

    actor_id: str
    actor_role: str
    business_date: date
    command_id: str
    reason: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "actor_id": self.actor_id,
            "actor_role": self.actor_role,
            "business_date": self.business_date.isoformat(),
            "command_id": self.command_id,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> EventMeta:
        return cls(
            actor_id=str(data["actor_id"]),
            actor_role=str(data["actor_role"]),
            business_date=date.fromisoformat(str(data["business_date"])),
            command_id=str(data["command_id"]),
            reason=None if data.get("reason") is None else str(data["reason"]),
        )


@dataclass(frozen=True)
class ReplyPolicy:
    """The statutory reply period an authority is bound by, from a given date."""

    effective_from: date
    period_days: int
    day_kind: DayKind
    urgent_period_days: int
    clock_starts: ClockStart = ClockStart.SENDING


@dataclass(frozen=True)
class EscalationLevel:
    """One rung of an escalation ladder: what to do, to whom, and how long to wait
    after it before climbing to the next rung."""

    action: str
    addressee: str
    wait_days: int

    def as_dict(self) -> dict[str, object]:
        return {"action": self.action, "addressee": self.addressee, "wait_days": self.wait_days}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> EscalationLevel:
        return cls(
            action=str(data["action"]),
            addressee=str(data["addressee"]),
            wait_days=int(str(data["wait_days"])),
        )
