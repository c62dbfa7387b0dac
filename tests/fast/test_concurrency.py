"""Optimistic concurrency: a command that expects another version than the stored one, or
that loses a race to another command on the same aggregate, is refused as a
ConcurrencyConflict and stores nothing; a lost race against its own retry is a replay."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest

from domain.errors import ConcurrencyConflict
from domain.recommendation import Recommendation
from domain.values import FollowUpKind
from services.adapters.memory_store import MEMORY_ENV
from services.application.commands.recommendations import RecordFollowUp
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


def test_a_lost_race_is_a_conflict_and_the_winner_is_kept() -> None:
    store = InterleavingStore(env=MEMORY_ENV)
    run = Commander(Executor(store))
    rec = issued_recommendation(run, authority(run))
    store.meanwhile = lambda: reply(run, rec, text="first")
    with pytest.raises(ConcurrencyConflict) as error:
        reply(run, rec, text="second", command_id="loser")
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
