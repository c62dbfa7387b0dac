"""What each recommendation event changes, as flat fields.

The status view stores these fields, the audit timeline shows them as before -> after,
the other views read the few they need. Keeping the meaning of every event in one
function means the views cannot disagree about it (e.g. what "replied" means).
The function mirrors domain/recommendation.py's @event methods, on plain values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from projections.facts import Fact

TAG_FIELDS = ("themes", "keywords", "vulnerable_groups", "detention_practices", "problem_natures")

PREFIX = "Recommendation."

LABELS: dict[str, str] = {
    "Drafted": "Drafted",
    "DoubleSmartReviewRecorded": "Double-SMART review recorded",
    "Reformulated": "Reformulated",
    "Reiterated": "Marked as repeating an earlier recommendation",
    "Issued": "Issued to the authority",
    "ResponseReceived": "Reply received from the authority",
    "ReplyDeadlineExtended": "Reply deadline extended",
    "FollowUpRecorded": "Follow-up recorded",
    "ImplementationAssessed": "Implementation assessed",
    "ImplementationVerified": "Implementation verified",
    "StakeholderMapped": "Stakeholder mapped",
    "TagsChanged": "Tags changed",
    "ReplyReminderSent": "Reply reminder sent",
    "ReplyDeadlineMissed": "Reply deadline missed",
    "Escalated": "Escalated",
    "ImplementationOverdue": "Implementation overdue",
    "Withdrawn": "Withdrawn",
    "Closed": "Closed",
}

INITIAL: dict[str, Any] = {
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
}
"""Every field, with its value before the recommendation was drafted (read-only: lists
are tuples here; `blank()` gives a fresh, writable copy)."""


def blank() -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in INITIAL.items()}


def short_name(fact: Fact) -> str | None:
    """ "Issued" for a recommendation event, None for any other aggregate's."""
    if fact.name.startswith(PREFIX):
        return fact.name[len(PREFIX) :]
    return None


def changes(state: dict[str, Any], fact: Fact) -> dict[str, Any]:
    """The fields the event sets, with their new values, given the current ones."""
    return changes_of(state, fact.name[len(PREFIX) :], fact.data, fact.meta.get("business_date"))


def changes_of(
    state: dict[str, Any], name: str, data: dict[str, Any], day: str | None
) -> dict[str, Any]:
    """`changes()` given the event's short name, data and business date: what a rebuild
    calls once per event (projections/bulk.py), without building a Fact."""
    rule = _RULES.get(name)
    # ImplementationOverdue and anything newer: a fact, no field changes.
    return {} if rule is None else rule(state, data, day)


Rule = Callable[[dict[str, Any], dict[str, Any], Any], dict[str, Any]]


def _drafted(state: dict[str, Any], data: dict[str, Any], day: Any) -> dict[str, Any]:
    drafted: dict[str, Any] = {
        "status": "draft",
        "kind": data["kind"],
        "text": data["text"],
        "authority_id": data["authority_id"],
        "report_id": data.get("report_id"),
        "place_id": data.get("place_id"),
        "visit_id": data.get("visit_id"),
        "staff": list(data.get("staff") or ()),
        "drafted_on": day,
    }
    tags = data.get("tags") or {}
    for tag_field in TAG_FIELDS:
        drafted[tag_field] = list(tags.get(tag_field) or ())
    return drafted


def _response(state: dict[str, Any], data: dict[str, Any], day: Any) -> dict[str, Any]:
    received_on = data["received_on"]
    reply: dict[str, Any] = {
        "position": data["position"],
        "responses": state["responses"] + 1,
        "last_response_on": received_on,
    }
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


_RULES: dict[str, Rule] = {
    "Drafted": _drafted,
    "DoubleSmartReviewRecorded": lambda state, data, day: {
        "review_met": sum(1 for met in data["criteria"].values() if met)
    },
    "Reformulated": lambda state, data, day: {"text": data["text"]},
    "Reiterated": lambda state, data, day: {"repeats_id": data["earlier_id"]},
    "Issued": lambda state, data, day: {
        "status": "issued",
        "issued_on": data["issued_on"],
        "reply_due": data["reply_due"],
    },
    "ResponseReceived": _response,
    "ReplyDeadlineExtended": lambda state, data, day: {
        "reply_due": data["new_due"],
        "reply_deadline_missed_on": None,
    },
    "FollowUpRecorded": lambda state, data, day: {
        "follow_ups": state["follow_ups"] + 1,
        "last_follow_up_on": day,
    },
    "ImplementationAssessed": _assessed,
    "ImplementationVerified": lambda state, data, day: {
        "verified": True,
        "verified_on": day,
        "verification_method": data["method"],
    },
    "StakeholderMapped": lambda state, data, day: {"stakeholders": state["stakeholders"] + 1},
    "TagsChanged": _tags_changed,
    "ReplyReminderSent": lambda state, data, day: {"reminders": state["reminders"] + 1},
    "ReplyDeadlineMissed": lambda state, data, day: {"reply_deadline_missed_on": data["due_on"]},
    "Escalated": lambda state, data, day: {
        "escalation_level": max(state["escalation_level"], int(data["level"]))
    },
    "Withdrawn": lambda state, data, day: {"status": "withdrawn", "ended_on": day},
    "Closed": lambda state, data, day: {"status": "closed", "ended_on": day},
}


def obligation_due(row: dict[str, Any]) -> tuple[str | None, str | None]:
    """The authority's next obligation and its date: the reply while none came, then the
    agreed implementation date until implemented. Overdue = that date is past."""
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
