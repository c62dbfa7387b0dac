"""Safeguards of the application layer: ending a recommendation says why, the four-eyes
rule reaches the aggregate from the executor's setting, and a command id reused for
another request is refused instead of answered with the first request's result."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from domain.errors import FourEyesRule
from domain.recommendation import Recommendation
from domain.values import DOUBLE_SMART_CRITERIA, FollowUpKind, RecommendationKind, Status
from services.application.commands import recommendations as command
from services.application.executor import Caller, CommandIdReused, Executor
from services.application.store import Rectrack
from tests.builders import (
    DAY,
    Commander,
    authority,
    drafted_recommendation,
    issued_recommendation,
)
from tests.fast.states import stored

COLLEAGUE = Caller("caseworker-2", "caseworker")
REVIEW = command.RecordReview(criteria=dict.fromkeys(DOUBLE_SMART_CRITERIA, True))
ISSUE = command.IssueRecommendation(issued_on=date(2026, 1, 6))


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_closing_and_withdrawing_need_a_reason(reason: str | None) -> None:
    for model in (command.CloseRecommendation, command.WithdrawRecommendation):
        with pytest.raises(ValidationError) as error:
            model.model_validate({} if reason is None else {"reason": reason})
        assert error.value.errors()[0]["loc"] == ("reason",)


def test_without_the_rule_the_drafter_may_review_and_issue(run: Commander) -> None:
    rec = drafted_recommendation(run, authority(run))
    run(REVIEW, rec)
    run(ISSUE, rec)


def test_with_four_eyes_the_drafter_neither_reviews_nor_issues(store: Rectrack) -> None:
    run = Commander(Executor(store, clock=lambda: DAY, four_eyes=True))
    rec = drafted_recommendation(run, authority(run))
    events = stored(store)
    for action in (REVIEW, ISSUE):
        with pytest.raises(FourEyesRule) as error:
            run(action, rec)
        assert "four-eyes rule" in str(error.value)
    assert stored(store) == events
    run(REVIEW, rec, caller=COLLEAGUE)
    run(ISSUE, rec, caller=COLLEAGUE)
    assert store.get(Recommendation, rec).status == Status.ISSUED


def test_with_four_eyes_a_draft_cannot_be_issued_by_its_drafter_in_one_go(
    store: Rectrack,
) -> None:
    run = Commander(Executor(store, clock=lambda: DAY, four_eyes=True))
    authority_id = authority(run)
    events = stored(store)
    draft = command.DraftRecommendation(
        kind=RecommendationKind.VISIT,
        text="Open the yard",
        authority_id=authority_id,
        issued_on=DAY,
    )
    with pytest.raises(FourEyesRule):
        run(draft)
    assert stored(store) == events


def test_a_command_id_reused_for_another_request_is_refused(
    store: Rectrack, run: Commander
) -> None:
    rec = issued_recommendation(run, authority(run))
    first = command.RecordFollowUp(kind=FollowUpKind.MEETING, summary="Met the director")
    done = run(first, rec, command_id="key-1")
    events = stored(store)
    # the same request again: the first result
    assert run(first, rec, command_id="key-1").replayed
    other = command.RecordFollowUp(kind=FollowUpKind.MEETING, summary="Met the minister")
    with pytest.raises(CommandIdReused) as error:
        run(other, rec, command_id="key-1")
    assert error.value.field == "command_id" and "different request" in error.value.rule
    # a creation with another body: the handler succeeds, the command log tells it apart
    draft = command.DraftRecommendation(
        kind=RecommendationKind.VISIT, text="Hire doctors", authority_id=authority(run)
    )
    events = stored(store)
    with pytest.raises(CommandIdReused):
        run(draft, command_id="key-1")
    # the same body on another target is another request too
    other_rec = issued_recommendation(run, authority(run))
    events = stored(store)
    with pytest.raises(CommandIdReused):
        run(first, other_rec, command_id="key-1")
    assert stored(store) == events and done.version == 3
