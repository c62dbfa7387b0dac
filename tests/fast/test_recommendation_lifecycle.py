"""Every action of the recommendation from every status, through the executor: allowed
exactly where domain/recommendation.py ALLOWED_FROM says, refused otherwise with an
IllegalTransition that names the status, the action and what is allowed, and nothing
stored (no event, no command-log entry)."""

from __future__ import annotations

from itertools import product
from uuid import uuid4

import pytest

from domain.errors import IllegalTransition
from domain.recommendation import ALLOWED_FROM, Recommendation, allowed_actions
from domain.values import RecommendationKind, Status
from services.application.commands.recommendations import DraftRecommendation, RecommendationCommand
from services.application.handlers import HANDLERS
from services.application.store import Rectrack
from tests.builders import DAY, Commander, authority, issued_recommendation
from tests.fast.samples import ACTIONS, samples
from tests.fast.states import recommendation_in, stored

# The actions that move the recommendation on; the others leave its status as it was.
MOVES_TO = {
    "issue": Status.ISSUED,
    "assess_implementation": Status.ASSESSED,
    "withdraw": Status.WITHDRAWN,
    "close": Status.CLOSED,
}


def status_after(status: Status, action: str) -> Status:
    if action == "record_response" and status is Status.ISSUED:
        return Status.RESPONDED  # a later reply to a responded or assessed one adds to it
    return MOVES_TO.get(action, status)


def test_every_action_has_a_command_and_every_command_an_action() -> None:
    assert set(ACTIONS) == set(ALLOWED_FROM)
    on_a_recommendation = {c for c in HANDLERS if issubclass(c, RecommendationCommand)}
    assert set(ACTIONS.values()) == on_a_recommendation


@pytest.mark.parametrize(("status", "action"), list(product(Status, ALLOWED_FROM)))
def test_action_from_status(store: Rectrack, run: Commander, status: Status, action: str) -> None:
    authority_id = authority(run)
    earlier = issued_recommendation(run, authority_id, text="An earlier recommendation")
    rec = recommendation_in(run, authority_id, status)
    assert store.get(Recommendation, rec).status is status
    command = samples(earlier)[ACTIONS[action]]
    version, events = store.get(Recommendation, rec).version, stored(store)

    if status in ALLOWED_FROM[action]:
        result = run(command, rec)
        assert (result.version, result.replayed) == (version + 1, False)
        assert stored(store) == events + 1
        assert store.get(Recommendation, rec).status is status_after(status, action)
        return

    with pytest.raises(IllegalTransition) as error:
        run(command, rec, command_id="refused")
    refused = error.value
    assert (refused.action, refused.status, refused.aggregate_id) == (action, status.value, rec)
    assert refused.allowed == sorted(allowed_actions(status))
    assert f"recommendation {rec} is {status.value}: cannot {action.replace('_', ' ')}" in str(
        refused
    )
    assert store.get(Recommendation, rec).version == version
    assert stored(store) == events and store.applied("refused") is None


def test_terminal_statuses_allow_nothing(store: Rectrack, run: Commander) -> None:
    authority_id = authority(run)
    for status in (Status.WITHDRAWN, Status.CLOSED):
        rec = recommendation_in(run, authority_id, status)
        with pytest.raises(IllegalTransition, match=r"nothing \(it is final\)"):
            run(samples(uuid4())[ACTIONS["close"]], rec)


def test_drafting_with_an_issue_date_issues_in_the_same_command(
    store: Rectrack, run: Commander
) -> None:
    draft = DraftRecommendation(
        kind=RecommendationKind.VISIT, text="Open the yard", authority_id=authority(run)
    )
    drafted = run(draft)
    issued = run(draft.model_copy(update={"issued_on": DAY}))
    assert store.get(Recommendation, drafted.aggregate_id).status is Status.DRAFT
    assert store.get(Recommendation, issued.aggregate_id).status is Status.ISSUED
    assert (drafted.version, issued.version) == (1, 2)
