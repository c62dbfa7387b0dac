"""A recommendation with every kind of recommendation event, for the audit timeline's
golden test (tests/projections/test_timeline.py). Built on the aggregate's event
methods themselves, whatever the rules (a closure after a withdrawal, a reminder after
the reply): the timeline must show whatever the log holds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.recommendation import Recommendation
from domain.values import EventMeta


def _meta(day: date, step: int, reason: str | None = None, role: str = "caseworker") -> EventMeta:
    return EventMeta(
        actor_id=f"{role}-1",
        actor_role=role,
        business_date=day,
        command_id=f"command-{step:02d}",
        reason=reason,
    )


def every_event(authority_id: str, place_id: str, earlier_id: str) -> Recommendation:
    """Drafted ... Closed: one of each of the 24 kinds, each a day after the one before."""
    day = date(2026, 1, 5)
    steps = iter(range(1, 100))

    def m(reason: str | None = None, role: str = "caseworker") -> EventMeta:
        nonlocal day
        day += timedelta(days=1)
        return _meta(day, next(steps), reason, role)

    rec = Recommendation(
        meta=m(),
        kind="visit",
        text="Ensure daily outdoor exercise",
        authority_id=authority_id,
        report_id=None,
        place_id=place_id,
        visit_id=None,
        tags={"themes": ["outdoor exercise"], "keywords": ["yard"], "vulnerable_groups": []},
        staff=["staff-1"],
    )
    rec._record_review(m(), {"specific": True, "measurable": False}, {"measurable": "no figure"})
    rec._reformulate(m("clearer"), "Ensure two hours of outdoor exercise a day")
    rec._reiterate(m(), earlier_id)
    rec._issue(m(role="head"), date(2026, 1, 10), date(2026, 2, 9))
    rec._start_reply_clock(m(), date(2026, 1, 12), date(2026, 2, 11))
    rec._record_reply_reminder(m(role="system"), date(2026, 2, 11), True)
    rec._record_reply_deadline_missed(m(role="system"), date(2026, 2, 11))
    rec._record_escalation(
        m(role="system"), 1, "letter to the director", "director", "o-1", date(2026, 2, 11)
    )
    rec._extend_reply_deadline(m("asked in time"), date(2026, 2, 11), date(2026, 3, 1))
    rec._record_response(m(), date(2026, 2, 20), "accepted", "We agree", date(2026, 6, 1))
    rec._record_follow_up(m(), "visit", "Checked the yard")
    rec._map_stakeholder(m(), "unit-1", "high", "low")
    rec._change_tags(
        m(),
        {
            "themes": ["outdoor exercise", "food"],
            "keywords": [],
            "vulnerable_groups": ["women"],
            "detention_practices": [],
            "problem_natures": [],
        },
    )
    origin: dict[str, Any] = {"source": "NPM", "recommending_bodies": [], "sdgs": ["16.3"]}
    rec._record_origin(m(), origin, "EXT-1")
    rec._record_implementation_overdue(m(role="system"), date(2026, 6, 1))
    rec._assess_implementation(m(), "partially_implemented", "budget", False, None)
    rec._verify_implementation(m(), "follow-up visit")
    rec._attach_evidence(
        m(), {"sha256": "ab" * 32, "filename": "yard.pdf", "supports": "assessment"}
    )
    rec._add_comment(m(), "Director promised more staff")
    rec._record_letter(m(), {"kind": "follow_up", "documents": [], "batch": "b-1"})
    rec._publish(m())
    rec._withdraw(m("merged into another"))
    rec._close(m("no longer relevant", role="head"))
    return rec
