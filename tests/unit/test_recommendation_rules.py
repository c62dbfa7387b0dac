"""The recommendation's rules, on the aggregate alone: each rejected action raises an
error that names the recommendation, its status and what is allowed, and triggers no
event."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from domain.errors import IllegalTransition, InvalidInput
from domain.recommendation import ALLOWED_FROM, Recommendation, allowed_actions
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    EventMeta,
    FollowUpKind,
    ImplementationStatus,
    NonImplementationReason,
    Position,
    RecommendationKind,
    Status,
)


def meta(day: date = date(2026, 1, 5), reason: str | None = None) -> EventMeta:
    return EventMeta("cw-1", "caseworker", day, str(uuid4()), reason)


def drafted() -> Recommendation:
    rec = Recommendation(
        meta=meta(),
        kind=RecommendationKind.VISIT.value,
        text="Ensure access to daylight for at least one hour a day",
        authority_id=str(uuid4()),
        report_id=None,
        place_id=None,
        visit_id=None,
        tags={"themes": ["material conditions"]},
        staff=["A. Inspector"],
    )
    rec.collect_events()
    return rec


def issued() -> Recommendation:
    rec = drafted()
    rec.issue(meta(), date(2026, 1, 5), date(2026, 2, 4))
    rec.collect_events()
    return rec


def assert_rejected_without_event(rec: Recommendation, action: str, call: object) -> None:
    version = rec.version
    with pytest.raises(IllegalTransition) as error:
        call()  # type: ignore[operator]
    message = str(error.value)
    assert str(rec.id) in message
    assert f"is {rec.status.value}" in message
    for allowed in allowed_actions(rec.status):
        assert allowed in message
    assert error.value.action == action
    assert rec.collect_events() == []
    assert rec.version == version


def test_no_response_before_issue() -> None:
    rec = drafted()
    assert_rejected_without_event(
        rec,
        "record_response",
        lambda: rec.record_response(meta(), date(2026, 1, 6), Position.ACCEPTED, "ok", None),
    )


def test_no_action_on_withdrawn() -> None:
    rec = issued()
    rec.withdraw(meta(reason="duplicate of an earlier recommendation"))
    rec.collect_events()
    assert rec.status == Status.WITHDRAWN
    assert_rejected_without_event(
        rec,
        "record_follow_up",
        lambda: rec.record_follow_up(meta(), FollowUpKind.LETTER, "reminder letter"),
    )
    with pytest.raises(IllegalTransition) as error:
        rec.close(meta())
    assert "nothing (it is final)" in str(error.value)


def test_no_action_on_closed() -> None:
    rec = issued()
    rec.close(meta(reason="implemented and verified"))
    rec.collect_events()
    assert_rejected_without_event(
        rec,
        "assess_implementation",
        lambda: rec.assess_implementation(
            meta(), ImplementationStatus.IMPLEMENTED, None, False, None
        ),
    )


def test_no_verification_of_something_never_assessed() -> None:
    rec = issued()
    rec.record_response(meta(), date(2026, 1, 20), Position.ACCEPTED, "will do", None)
    rec.collect_events()
    assert_rejected_without_event(
        rec, "verify_implementation", lambda: rec.verify_implementation(meta(), "visit")
    )
    rec.assess_implementation(
        meta(), ImplementationStatus.IN_PROGRESS, None, verified=False, verification_method=None
    )
    rec.verify_implementation(meta(date(2026, 6, 1)), "follow-up visit on 1 June")
    assert rec.verified and rec.verified_on == date(2026, 6, 1)


def test_review_must_judge_every_double_smart_criterion() -> None:
    rec = drafted()
    partial = dict.fromkeys(DOUBLE_SMART_CRITERIA[:9], True)
    with pytest.raises(InvalidInput) as error:
        rec.record_review(meta(), partial, {})
    assert error.value.field == "criteria"
    assert "targeted" in error.value.rule
    rec.record_review(meta(), dict.fromkeys(DOUBLE_SMART_CRITERIA, True), {"argued": "cites CPT"})
    assert rec.review is not None and rec.review["met"] == 10


def test_review_only_before_issue() -> None:
    rec = issued()
    assert_rejected_without_event(
        rec,
        "record_review",
        lambda: rec.record_review(meta(), dict.fromkeys(DOUBLE_SMART_CRITERIA, True), {}),
    )


def test_response_dates_are_checked() -> None:
    rec = issued()
    with pytest.raises(InvalidInput) as error:
        rec.record_response(meta(), date(2026, 1, 1), Position.ACCEPTED, "ok", None)
    assert error.value.field == "received_on"
    with pytest.raises(InvalidInput) as error:
        rec.record_response(meta(), date(2026, 1, 20), Position.REJECTED, "no", date(2026, 5, 1))
    assert error.value.field == "agreed_implementation_date"
    assert rec.collect_events() == []


def test_partial_then_full_response_keeps_history() -> None:
    rec = issued()
    rec.record_response(
        meta(), date(2026, 1, 20), Position.PARTIALLY_ACCEPTED, "in part", date(2026, 6, 1)
    )
    rec.record_response(meta(), date(2026, 2, 1), Position.ACCEPTED, "fully", date(2026, 7, 1))
    assert rec.status == Status.RESPONDED
    assert rec.position == Position.ACCEPTED
    assert [r["position"] for r in rec.responses] == ["partially_accepted", "accepted"]
    assert rec.agreed_implementation_date == date(2026, 7, 1)


def test_assessment_reason_rules() -> None:
    rec = issued()
    with pytest.raises(InvalidInput) as error:
        rec.assess_implementation(meta(), ImplementationStatus.NOT_IMPLEMENTED, None, False, None)
    assert error.value.field == "reason"
    with pytest.raises(InvalidInput) as error:
        rec.assess_implementation(
            meta(), ImplementationStatus.IMPLEMENTED, NonImplementationReason.BUDGET, False, None
        )
    assert error.value.field == "reason"
    with pytest.raises(InvalidInput) as error:
        rec.assess_implementation(meta(), ImplementationStatus.IMPLEMENTED, None, True, " ")
    assert error.value.field == "verification_method"
    rec.assess_implementation(
        meta(), ImplementationStatus.NOT_IMPLEMENTED, NonImplementationReason.BUDGET, False, None
    )
    assert rec.non_implementation_reason == NonImplementationReason.BUDGET


def test_withdrawal_needs_a_reason() -> None:
    rec = issued()
    with pytest.raises(InvalidInput) as error:
        rec.withdraw(meta())
    assert error.value.field == "reason"


def test_extension_must_move_the_deadline_later() -> None:
    rec = issued()
    with pytest.raises(InvalidInput) as error:
        rec.extend_reply_deadline(meta(), date(2026, 2, 4))
    assert error.value.field == "new_due"
    rec.extend_reply_deadline(meta(), date(2026, 3, 4))
    assert rec.reply_due == date(2026, 3, 4)


def test_tags_are_normalised_and_natures_checked() -> None:
    rec = drafted()
    with pytest.raises(InvalidInput) as error:
        rec.change_tags(meta(), {"problem_natures": ["weather"]})
    assert error.value.field == "problem_natures"
    rec.change_tags(meta(), {"keywords": ["Solitary Confinement", "solitary confinement "]})
    assert rec.tags["keywords"] == ["solitary confinement"]
    assert rec.tags["themes"] == ["material conditions"]


def test_every_action_has_an_entry_and_terminal_states_allow_nothing() -> None:
    for status in (Status.WITHDRAWN, Status.CLOSED):
        assert allowed_actions(status) == []
    assert "issue" in allowed_actions(Status.DRAFT)
    assert all(ALLOWED_FROM[a] for a in ALLOWED_FROM)


def test_replay_does_not_rejudge_rules() -> None:
    """Events rebuild the same state from history, whatever the rules say today."""
    rec = issued()
    rec.record_response(meta(), date(2026, 1, 20), Position.ACCEPTED, "ok", date(2026, 6, 1))
    pending = rec.collect_events()
    assert [type(e).__name__ for e in pending] == ["ResponseReceived"]
    assert rec.status == Status.RESPONDED
