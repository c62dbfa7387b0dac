"""What each recommendation event changes, as flat fields.

The status view stores these fields, the audit timeline shows them as before -> after,
the other views read the few they need. Keeping the meaning of every event in one
function means the views cannot disagree about it (e.g. what "replied" means).
The function mirrors domain/recommendation.py's @event methods, on plain values.

Both tables here, the labels and the rules, are keyed by the domain's event classes and
looked up by the topic a fact is stored under.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from eventsourcing.utils import get_topic

from domain.origin import deadline_is_history
from projections.events import Recommendation
from projections.facts import Fact

TAG_FIELDS = ("themes", "keywords", "vulnerable_groups", "detention_practices", "problem_natures")

LABELS: dict[type, str] = {
    Recommendation.Drafted: "Drafted",
    Recommendation.DoubleSmartReviewRecorded: "Double-SMART review recorded",
    Recommendation.Reformulated: "Reformulated",
    Recommendation.Reiterated: "Marked as repeating an earlier recommendation",
    Recommendation.Issued: "Issued to the authority",
    Recommendation.ResponseReceived: "Reply received from the authority",
    Recommendation.ReplyDeadlineExtended: "Reply deadline extended",
    Recommendation.ReplyClockStarted: "Reply clock started: the report reached the authority",
    Recommendation.FollowUpRecorded: "Follow-up recorded",
    Recommendation.ImplementationAssessed: "Implementation assessed",
    Recommendation.ImplementationVerified: "Implementation verified",
    Recommendation.StakeholderMapped: "Stakeholder mapped",
    Recommendation.TagsChanged: "Tags changed",
    Recommendation.ReplyReminderSent: "Reply reminder sent",
    Recommendation.ReplyDeadlineMissed: "Reply deadline missed",
    Recommendation.Escalated: "Escalated",
    Recommendation.ImplementationOverdue: "Implementation overdue",
    Recommendation.Withdrawn: "Withdrawn",
    Recommendation.Closed: "Closed",
    Recommendation.EvidenceAttached: "Evidence document attached",
    Recommendation.CommentAdded: "Internal comment added",
    Recommendation.LetterGenerated: "Letter generated",
    Recommendation.Published: "Published in the public register",
    Recommendation.OriginRecorded: "Origin changed (source, bodies, session, SDGs)",
}
"""A person's words for each recommendation event (the audit timeline's label, the
status view's last action). Every recommendation event class has one (a test checks),
so its keys are also every recommendation event the views follow."""

LABEL_BY_TOPIC: dict[str, str] = {get_topic(c): label for c, label in LABELS.items()}
RECOMMENDATION_TOPICS = frozenset(LABEL_BY_TOPIC)
DRAFTED = get_topic(Recommendation.Drafted)


def event_of(topic: str) -> str:
    """The event's own name, e.g. "Issued" (the audit timeline's `event`)."""
    return topic.rpartition(".")[2]


INITIAL: dict[str, Any] = {
    "reference": None,
    "external_id": None,
    "status": None,
    "kind": None,
    "text": None,
    "authority_id": None,
    "report_id": None,
    "place_id": None,
    "visit_id": None,
    **dict.fromkeys(TAG_FIELDS, ()),
    "staff": (),
    "drafted_on": None,
    "review_met": None,
    "issued_on": None,
    "reply_due": None,
    "repeats_id": None,
    "position": None,
    "responses": 0,
    "first_response_on": None,
    "last_response_on": None,
    "agreed_implementation_date": None,
    "follow_ups": 0,
    "last_follow_up_on": None,
    "implementation": None,
    "non_implementation_reason": None,
    "assessed_on": None,
    "verified": False,
    "verified_on": None,
    "verification_method": None,
    "stakeholders": 0,
    "escalation_level": 0,
    "reminders": 0,
    "reply_deadline_missed_on": None,
    "ended_on": None,
    # domain/origin.py: where it comes from, its SDGs, whether imported as historic
    "source": None,
    "recommending_bodies": (),
    "session": None,
    "cycle": None,
    "sdgs": (),
    "historic_before": None,
}
"""Every field, with its value before the recommendation was drafted (read-only: lists
are tuples here; `blank()` gives a fresh, writable copy)."""


_LIST_FIELDS = tuple(k for k, v in INITIAL.items() if isinstance(v, tuple))


def blank() -> dict[str, Any]:
    # A copy and eight new lists: a rebuild makes one per recommendation.
    fields = INITIAL.copy()
    for name in _LIST_FIELDS:
        fields[name] = []
    return fields


def changes(state: dict[str, Any], fact: Fact) -> dict[str, Any]:
    """The fields the event sets, with their new values, given the current ones."""
    return changes_of(state, fact.topic, fact.data, fact.meta.get("business_date"))


def changes_of(
    state: dict[str, Any], topic: str, data: dict[str, Any], day: str | None
) -> dict[str, Any]:
    """`changes()` given the event's topic, data and business date: what a rebuild
    calls once per event (projections/engine/bulk.py), without building a Fact."""
    rule = _RULE_BY_TOPIC.get(topic)
    # ImplementationOverdue and anything newer: a fact, no field changes.
    return {} if rule is None else rule(state, data, day)


Rule = Callable[[dict[str, Any], dict[str, Any], Any], dict[str, Any]]


def _drafted(state: dict[str, Any], data: dict[str, Any], day: Any) -> dict[str, Any]:
    drafted: dict[str, Any] = {
        # None for drafts stored before references were given (domain/reference.py)
        "reference": data.get("reference"),
        "external_id": data.get("external_id"),
        "status": "draft",
        "kind": data["kind"],
        "text": data["text"],
        "authority_id": data["authority_id"],
        "report_id": data.get("report_id"),
        "place_id": data.get("place_id"),
        "visit_id": data.get("visit_id"),
        "staff": list(data.get("staff") or ()),
        "drafted_on": day,
        "historic_before": data.get("historic_before"),
        **_origin(data.get("origin") or {}),
    }
    tags = data.get("tags") or {}
    for tag_field in TAG_FIELDS:
        drafted[tag_field] = list(tags.get(tag_field) or ())
    return drafted


def _origin(origin: dict[str, Any]) -> dict[str, Any]:
    return {
        "source": origin.get("source"),
        "recommending_bodies": list(origin.get("recommending_bodies") or ()),
        "session": origin.get("session"),
        "cycle": origin.get("cycle"),
        "sdgs": list(origin.get("sdgs") or ()),
    }


def _response(state: dict[str, Any], data: dict[str, Any], day: Any) -> dict[str, Any]:
    received_on = data["received_on"]
    reply: dict[str, Any] = {
        "responses": state["responses"] + 1,
        "last_response_on": received_on,
    }
    if data.get("position") is not None:  # a reply without one keeps the latest stated
        reply["position"] = data["position"]
    if state["first_response_on"] is None:
        reply["first_response_on"] = received_on
    if data.get("agreed_implementation_date") is not None:
        reply["agreed_implementation_date"] = data["agreed_implementation_date"]
    if state["status"] == "issued":
        reply["status"] = "responded"
    return reply


def _assessed(state: dict[str, Any], data: dict[str, Any], day: Any) -> dict[str, Any]:
    verified = bool(data["verified"])
    return {
        "status": "assessed",
        "implementation": data["status"],
        "non_implementation_reason": data.get("reason"),
        "assessed_on": day,
        "verified": verified,
        "verified_on": day if verified else None,
        "verification_method": data.get("verification_method"),
    }


def _tags_changed(state: dict[str, Any], data: dict[str, Any], day: Any) -> dict[str, Any]:
    tags = data.get("tags") or {}
    return {f: list(tags.get(f) or ()) for f in TAG_FIELDS}


_RULES: dict[type, Rule] = {
    Recommendation.Drafted: _drafted,
    Recommendation.DoubleSmartReviewRecorded: lambda state, data, day: {
        "review_met": sum(1 for met in data["criteria"].values() if met)
    },
    Recommendation.Reformulated: lambda state, data, day: {"text": data["text"]},
    Recommendation.Reiterated: lambda state, data, day: {"repeats_id": data["earlier_id"]},
    Recommendation.Issued: lambda state, data, day: {
        "status": "issued",
        "issued_on": data["issued_on"],
        "reply_due": data["reply_due"],
    },
    Recommendation.ResponseReceived: _response,
    Recommendation.ReplyDeadlineExtended: lambda state, data, day: {
        "reply_due": data["new_due"],
        "reply_deadline_missed_on": None,
    },
    Recommendation.ReplyClockStarted: lambda state, data, day: {
        "reply_due": data["reply_due"],
        "reply_deadline_missed_on": None,
    },
    Recommendation.FollowUpRecorded: lambda state, data, day: {
        "follow_ups": state["follow_ups"] + 1,
        "last_follow_up_on": day,
    },
    Recommendation.ImplementationAssessed: _assessed,
    Recommendation.ImplementationVerified: lambda state, data, day: {
        "verified": True,
        "verified_on": day,
        "verification_method": data["method"],
    },
    Recommendation.StakeholderMapped: lambda state, data, day: {
        "stakeholders": state["stakeholders"] + 1
    },
    Recommendation.TagsChanged: _tags_changed,
    Recommendation.ReplyReminderSent: lambda state, data, day: {
        "reminders": state["reminders"] + 1
    },
    Recommendation.ReplyDeadlineMissed: lambda state, data, day: {
        "reply_deadline_missed_on": data["due_on"]
    },
    Recommendation.Escalated: lambda state, data, day: {
        "escalation_level": max(state["escalation_level"], int(data["level"]))
    },
    Recommendation.Withdrawn: lambda state, data, day: {"status": "withdrawn", "ended_on": day},
    Recommendation.Closed: lambda state, data, day: {"status": "closed", "ended_on": day},
    Recommendation.OriginRecorded: lambda state, data, day: {
        **_origin(data["origin"]),
        "external_id": data.get("external_id"),
    },
}
_RULE_BY_TOPIC: dict[str, Rule] = {get_topic(c): rule for c, rule in _RULES.items()}


HISTORIC = "historic record"
"""The next action of a historic record whose obligation fell before its import: it
stands where it stood, and nothing is due (domain/origin.py)."""


def obligation_due(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The authority's next obligation and its date: the reply while none came, then the
    agreed implementation date until implemented. Overdue = that date is past. A
    historic record's obligation dated before its import is no longer due."""
    action, due = _obligation(row)
    historic_before = row.get("historic_before")
    if (
        due is not None
        and historic_before is not None
        and deadline_is_history(_day(historic_before), _day(due))
    ):
        return HISTORIC, None
    return action, due


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _obligation(row: dict[str, Any]) -> tuple[str | None, Any]:
    status = row.get("status")
    if status == "issued":
        return "authority reply due", row.get("reply_due")
    if status in ("responded", "assessed") and row.get("implementation") != "implemented":
        agreed = row.get("agreed_implementation_date")
        if agreed is not None:
            return "implementation due", agreed
    return None, None


def year_of(row: dict[str, Any]) -> int | None:
    """The year a recommendation counts in: the year it was issued (made), else drafted."""
    day = row.get("issued_on") or row.get("drafted_on")
    return int(day[:4]) if day else None
