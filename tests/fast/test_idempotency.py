"""Idempotency by command id: a retry returns the first result, marked replayed, and
appends nothing, whether the retry would now break a rule (the state moved on) or the
rules would still allow it (only the command log can tell)."""

from __future__ import annotations

from datetime import date

from domain.recommendation import Recommendation
from domain.user import User, user_id_for
from domain.values import FollowUpKind, RecommendationKind
from services.application.commands import recommendations as command
from services.application.commands.users import IssueToken
from services.application.executor import Executor
from services.application.handlers.users import NewToken
from services.application.store import Rectrack
from tests.builders import Commander, authority, drafted_recommendation, issued_recommendation
from tests.fast.states import stored, task_worker


def test_a_retried_creation_returns_the_first_aggregate(store: Rectrack, run: Commander) -> None:
    # Each run of the handler makes a new id: only the command log knows it is a retry.
    draft = command.DraftRecommendation(
        kind=RecommendationKind.VISIT, text="Hire doctors", authority_id=authority(run)
    )
    first = run(draft, command_id="draft-once")
    events = stored(store)
    again = run(draft, command_id="draft-once")
    assert (again.aggregate_id, again.version) == (first.aggregate_id, first.version)
    assert again.notification_id == first.notification_id
    assert again.replayed and not first.replayed
    assert stored(store) == events


def test_a_retry_the_rules_would_now_refuse_returns_the_first_result(
    store: Rectrack, run: Commander
) -> None:
    rec = drafted_recommendation(run, authority(run))
    issue = command.IssueRecommendation(issued_on=date(2026, 1, 6))
    issued = run(issue, rec, command_id="issue-once")
    events = stored(store)
    # Issued already, so issuing again breaks a rule; the retry is recognised first.
    retried = run(issue, rec, command_id="issue-once")
    assert (retried.aggregate_id, retried.version, retried.replayed) == (rec, issued.version, True)
    assert retried.notification_id == issued.notification_id

    close = command.CloseRecommendation(reason="implemented")
    closed = run(close, rec, command_id="close-once")
    assert run(close, rec, command_id="close-once").version == closed.version
    assert stored(store) == events + 1


def test_a_retry_the_rules_still_allow_appends_nothing(store: Rectrack, run: Commander) -> None:
    rec = issued_recommendation(run, authority(run))
    letter = command.RecordFollowUp(kind=FollowUpKind.LETTER, summary="Letter sent")
    one = run(letter, rec, command_id="letter-once")
    events = stored(store)
    two = run(letter, rec, command_id="letter-once")
    assert (two.version, two.notification_id, two.replayed) == (
        one.version,
        one.notification_id,
        True,
    )
    assert len(store.get(Recommendation, rec).follow_ups) == 1
    assert stored(store) == events

    tags = command.ChangeTags(tags=command.Tags(themes=["food"]))
    first = run(tags, rec, command_id="tags-once")
    assert run(tags, rec, command_id="tags-once").version == first.version


def test_a_retry_after_later_commands_returns_the_version_it_left(
    store: Rectrack, run: Commander
) -> None:
    rec = issued_recommendation(run, authority(run))
    first = run(
        command.RecordFollowUp(kind=FollowUpKind.VISIT, summary="Visited"), rec, command_id="v"
    )
    run(command.RecordFollowUp(kind=FollowUpKind.LETTER, summary="Wrote"), rec)
    again = run(
        command.RecordFollowUp(kind=FollowUpKind.VISIT, summary="Visited"), rec, command_id="v"
    )
    assert (again.version, again.replayed) == (first.version, True)
    assert store.get(Recommendation, rec).version == first.version + 1


def test_the_same_body_under_another_command_id_is_another_command(
    store: Rectrack, run: Commander
) -> None:
    rec = issued_recommendation(run, authority(run))
    letter = command.RecordFollowUp(kind=FollowUpKind.LETTER, summary="Letter sent")
    one = run(letter, rec, command_id="letter-1")
    two = run(letter, rec, command_id="letter-2")
    assert (two.version, two.replayed) == (one.version + 1, False)
    assert len(store.get(Recommendation, rec).follow_ups) == 2


def test_a_replayed_token_is_not_handed_out_again(
    store: Rectrack, executor: Executor, run: Commander
) -> None:
    user_id = task_worker(run, "hedda")
    first = run(IssueToken(label="cli"), user_id, command_id="token-once")
    again = run(IssueToken(label="cli"), user_id, command_id="token-once")
    assert isinstance(first.detail, NewToken)
    assert again.replayed and again.detail is None
    user = store.get(User, user_id_for("hedda"))
    assert list(user.tokens) == [first.detail.token_id]
    assert executor.applied("token-once") and not executor.applied("token-twice")
