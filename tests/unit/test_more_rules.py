"""The remaining rules of the aggregates, each refused with the field it is about and no
event: wording changes, repeats, stakeholders, dates that would run backwards, reply
policies and escalation ladders (and which one is in force on a date), report sendings,
and the levels the workflows record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate

from domain.authority import Authority, validate_ladder, validate_policy
from domain.errors import IllegalTransition, InvalidInput
from domain.recommendation import Recommendation
from domain.report import Report
from domain.values import DayKind, EscalationLevel, Level, Position
from tests.unit.test_recommendation_rules import drafted, issued, meta

D = date


def refused(aggregate: Aggregate, field: str, call: Callable[[], object]) -> str:
    """Runs `call`, which must be refused naming `field`, and checks no event was made."""
    version = aggregate.version
    with pytest.raises(InvalidInput) as error:
        call()
    assert error.value.field == field
    assert aggregate.version == version
    assert aggregate.collect_events() == []
    return str(error.value)


def authority() -> Authority:
    created = Authority(
        meta=meta(),
        name="Ministry of Justice",
        kind="ministry",
        jurisdiction="DE",
        parent_id=None,
        reply_period_days=30,
        day_kind=DayKind.CALENDAR.value,
        urgent_reply_period_days=5,
        escalation_ladder=[EscalationLevel("letter", "head", 14).as_dict()],
    )
    created.collect_events()
    return created


def test_reformulation_needs_new_non_empty_wording() -> None:
    rec = drafted()
    refused(rec, "text", lambda: rec.reformulate(meta(), "   "))
    assert "same as the current" in refused(rec, "text", lambda: rec.reformulate(meta(), rec.text))
    rec.reformulate(meta(), "Ensure daylight for two hours a day")
    assert rec.text == "Ensure daylight for two hours a day"


def test_a_recommendation_cannot_repeat_itself_and_only_drafts_or_issued_ones_link() -> None:
    rec = drafted()
    refused(rec, "earlier_id", lambda: rec.reiterate(meta(), rec.id))
    earlier = uuid4()
    rec.reiterate(meta(), earlier)
    assert rec.repeats_id == str(earlier)
    answered: Recommendation = issued()
    answered.record_response(meta(D(2026, 1, 9)), D(2026, 1, 9), Position.ACCEPTED, "Ok", None)
    with pytest.raises(IllegalTransition):
        answered.reiterate(meta(), uuid4())


def test_a_stakeholder_must_be_named() -> None:
    rec = drafted()
    refused(rec, "actor", lambda: rec.map_stakeholder(meta(), "  ", Level.HIGH, Level.LOW))


def test_issue_dates_cannot_run_backwards() -> None:
    rec = drafted()  # drafted on 2026-01-05
    assert "drafting date 2026-01-05" in refused(
        rec, "issued_on", lambda: rec.issue(meta(), D(2026, 1, 4), D(2026, 2, 4))
    )
    refused(rec, "reply_due", lambda: rec.issue(meta(), D(2026, 1, 6), D(2026, 1, 6)))


def test_escalation_levels_start_at_one() -> None:
    rec = issued()
    refused(rec, "level", lambda: rec.record_escalation(meta(), 0, "letter", "head", "wf"))


def test_reply_policies_and_ladders_are_validated() -> None:
    with pytest.raises(InvalidInput) as error:
        validate_policy(0, 1)
    assert error.value.field == "reply_period_days"
    with pytest.raises(InvalidInput) as error:
        validate_policy(10, 0)
    assert error.value.field == "urgent_reply_period_days"
    with pytest.raises(InvalidInput) as error:
        validate_policy(10, 20)
    assert "longer than the ordinary" in str(error.value)
    for bad, field in (
        (EscalationLevel(" ", "head", 1), "escalation_ladder[1].action"),
        (EscalationLevel("letter", "", 1), "escalation_ladder[1].addressee"),
        (EscalationLevel("letter", "head", 0), "escalation_ladder[1].wait_days"),
    ):
        with pytest.raises(InvalidInput) as error:
            validate_ladder([EscalationLevel("letter", "head", 7), bad])
        assert error.value.field == field


def test_policy_and_ladder_in_force_on_any_date() -> None:
    body = authority()
    body.change_reply_policy(meta(), D(2026, 7, 1), 20, DayKind.WORKING, 3)
    body.change_escalation_ladder(
        meta(), D(2026, 7, 1), [EscalationLevel("letter", "ministry", 30)]
    )
    body.collect_events()
    assert body.policy_on(D(2026, 6, 30)).period_days == 30
    assert body.policy_on(D(2026, 7, 1)).period_days == 20
    assert body.ladder_on(D(2026, 6, 30))[0].addressee == "head"
    assert body.ladder_on(D(2026, 7, 1))[0].addressee == "ministry"
    # A change dated before the one in force would make "in force on a date" ambiguous.
    refused(
        body,
        "effective_from",
        lambda: body.change_reply_policy(meta(), D(2026, 6, 1), 15, DayKind.CALENDAR, 2),
    )
    assert "ladder already in force from 2026-07-01" in refused(
        body,
        "effective_from",
        lambda: body.change_escalation_ladder(
            meta(), D(2026, 6, 1), [EscalationLevel("letter", "parliament", 30)]
        ),
    )


def test_a_report_is_sent_once_per_authority_and_not_before_its_date() -> None:
    report = Report(
        meta=meta(),
        kind="visit_report",
        title="Visit to Prison A",
        report_date=D(2026, 3, 1),
        link=None,
        visit_ids=[],
    )
    report.collect_events()
    ministry = str(uuid4())
    assert "report's date 2026-03-01" in refused(
        report, "sent_on", lambda: report.send_to(meta(), ministry, D(2026, 2, 28), D(2026, 4, 1))
    )
    report.send_to(meta(), ministry, D(2026, 3, 2), D(2026, 4, 1))
    report.collect_events()
    assert "already sent" in refused(
        report,
        "authority_id",
        lambda: report.send_to(meta(), ministry, D(2026, 3, 3), D(2026, 4, 2)),
    )
