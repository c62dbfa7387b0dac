"""Optimistic concurrency: a command that expects another version than the stored one, or
that names the version it expects and loses a race to another command on the same
aggregate, is refused as a ConcurrencyConflict and stores nothing; one that names no
version is run again on the new state (a few times); a lost race against its own retry
is a replay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from domain.errors import ConcurrencyConflict
from domain.recommendation import Recommendation
from domain.values import FollowUpKind, Position
from services.adapters.memory_store import MEMORY_ENV
from services.application.commands.recommendations import RecordFollowUp, RecordResponse
from services.application.executor import Executor
from services.application.store import A, Rectrack
from tests.builders import Commander, authority, issued_recommendation, reply
from tests.fast.states import stored


def test_an_unexpected_version_is_a_conflict_and_stores_nothing(
    store: Rectrack, run: Commander
) -> None:
    rec = issued_recommendation(run, authority(run))
    current = store.get(Recommendation, rec).version
    events = stored(store)
    with pytest.raises(ConcurrencyConflict) as error:
        run(
            RecordFollowUp(kind=FollowUpKind.MEETING, summary="x"),
            rec,
            expected_version=current - 1,
            command_id="stale",
        )
    assert f"expected version {current - 1}, it is at version {current}" in str(error.value)
    assert str(rec) in str(error.value)
    assert stored(store) == events and store.applied("stale") is None
    done = run(
        RecordFollowUp(kind=FollowUpKind.MEETING, summary="Met the director"),
        rec,
        expected_version=current,
    )
    assert done.version == current + 1


class InterleavingStore(Rectrack):
    """Runs `meanwhile` once, right after a command has loaded its recommendation: another
    command appends to it between this one's load and its save."""

    meanwhile: Callable[[], object] | None = None

    def get(self, cls: type[A], aggregate_id: UUID, version: int | None = None) -> A:
        aggregate = super().get(cls, aggregate_id, version)
        if self.meanwhile is not None and cls is Recommendation:
            meanwhile, self.meanwhile = self.meanwhile, None
            meanwhile()
        return aggregate


def test_a_lost_race_with_an_expected_version_is_a_conflict_and_the_winner_is_kept() -> None:
    store = InterleavingStore(env=MEMORY_ENV)
    run = Commander(Executor(store))
    rec = issued_recommendation(run, authority(run))
    store.meanwhile = lambda: reply(run, rec, text="first")
    second = RecordResponse(received_on=date(2026, 1, 20), position=Position.ACCEPTED, text="x")
    with pytest.raises(ConcurrencyConflict) as error:
        run(second, rec, command_id="loser", expected_version=2)
    assert "changed by another command" in str(error.value) and str(rec) in str(error.value)
    stored_rec = store.get(Recommendation, rec)
    assert [r["text"] for r in stored_rec.responses] == ["first"]
    assert stored_rec.version == 3 and store.applied("loser") is None


def test_a_race_lost_to_its_own_retry_returns_the_retry_result() -> None:
    store = InterleavingStore(env=MEMORY_ENV)
    run = Commander(Executor(store))
    rec = issued_recommendation(run, authority(run))
    winner: list[object] = []
    store.meanwhile = lambda: winner.append(reply(run, rec, text="once", command_id="same"))
    result = reply(run, rec, text="once", command_id="same")
    assert result.replayed and winner and result.version == 3
    assert [r["text"] for r in store.get(Recommendation, rec).responses] == ["once"]


def test_a_lost_race_without_an_expected_version_is_run_again_on_the_new_state() -> None:
    store = InterleavingStore(env=MEMORY_ENV)
    run = Commander(Executor(store))
    rec = issued_recommendation(run, authority(run))
    store.meanwhile = lambda: reply(run, rec, text="first")
    result = reply(run, rec, text="second", command_id="retried")
    stored_rec = store.get(Recommendation, rec)
    assert [r["text"] for r in stored_rec.responses] == ["first", "second"]
    assert (result.version, result.replayed) == (4, False) and stored_rec.version == 4
    assert store.applied("retried") is not None


def test_the_rerun_is_bounded_and_then_a_conflict() -> None:
    store = InterleavingStore(env=MEMORY_ENV)
    run = Commander(Executor(store))
    rec = issued_recommendation(run, authority(run))
    others = 0

    def another() -> None:
        nonlocal others
        others += 1
        follow_up = RecordFollowUp(kind=FollowUpKind.MEETING, summary=f"meeting {others}")
        run(follow_up, rec)
        store.meanwhile = another  # and again at the next load

    store.meanwhile = another
    with pytest.raises(ConcurrencyConflict):
        reply(run, rec, text="never", command_id="unlucky")
    store.meanwhile = None
    # three tries, each lost to another command; nothing of this one was stored
    stored_rec = store.get(Recommendation, rec)
    assert others == 3 and stored_rec.responses == [] and store.applied("unlucky") is None
