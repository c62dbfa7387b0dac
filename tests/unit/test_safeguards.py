"""Safeguards on the recommendation itself: ending it says why, and with the four-eyes
rule in force the person who drafted it neither reviews nor issues it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from domain.errors import FourEyesRule, InvalidInput
from domain.values import DOUBLE_SMART_CRITERIA, Status
from tests.unit.test_recommendation_rules import drafted, issued, meta

CRITERIA = dict.fromkeys(DOUBLE_SMART_CRITERIA, True)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_closure_needs_a_reason_and_stores_nothing_without_one(reason: str | None) -> None:
    rec = issued()
    with pytest.raises(InvalidInput) as error:
        rec.close(meta(reason=reason))
    assert (error.value.field, error.value.rule) == ("reason", "a closure must say why")
    assert rec.status == Status.ISSUED and rec.collect_events() == []
    rec.close(meta(reason="implemented and verified at the follow-up visit"))
    assert rec.status == Status.CLOSED


def test_the_drafter_may_review_and_issue_when_the_rule_is_off() -> None:
    rec = drafted()
    rec.record_review(meta(), CRITERIA, {})
    rec.issue(meta(), date(2026, 1, 5), date(2026, 2, 4))
    assert rec.status == Status.ISSUED


def test_with_four_eyes_the_drafter_may_neither_review_nor_issue() -> None:
    rec = drafted()
    assert rec.drafted_by == "cw-1"
    with pytest.raises(FourEyesRule) as error:
        rec.record_review(meta(), CRITERIA, {}, four_eyes=True)
    assert error.value.code == "four_eyes_rule"
    assert "four-eyes rule" in str(error.value) and "someone else must review" in str(error.value)
    with pytest.raises(FourEyesRule) as error:
        rec.issue(meta(), date(2026, 1, 5), date(2026, 2, 4), four_eyes=True)
    assert "someone else must issue" in str(error.value)
    assert rec.review is None and rec.status == Status.DRAFT and rec.collect_events() == []

    colleague = replace(meta(), actor_id="cw-2")
    rec.record_review(colleague, CRITERIA, {}, four_eyes=True)
    rec.issue(colleague, date(2026, 1, 5), date(2026, 2, 4), four_eyes=True)
    assert rec.status == Status.ISSUED
