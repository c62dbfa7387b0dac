"""The reference sequence is kept loaded between drafts (store.FollowingRepository): only
its later events are read. What is kept must be the committed state, whoever wrote it:
another process's drafts are seen, and a draft that numbered itself but was not stored
gives its number to the next draft."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest

from domain.recommendation import Recommendation
from domain.reference import ReferenceSequence
from domain.values import RecommendationKind
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.commands.recommendations import DraftRecommendation
from services.application.executor import CommandIdReused, Executor
from services.application.store import Rectrack
from tests.builders import DAY, Commander, authority


def draft(text: str, authority_id: UUID) -> DraftRecommendation:
    return DraftRecommendation(kind=RecommendationKind.VISIT, text=text, authority_id=authority_id)


def reference_of(app: Rectrack, run: Commander, command: DraftRecommendation, **kw: str) -> str:
    result = run(command, **kw)  # type: ignore[arg-type]
    reference = app.get(Recommendation, result.aggregate_id).reference
    assert reference is not None
    return reference


@pytest.fixture
def other_app(settings: Settings, database_url: str) -> Iterator[Rectrack]:
    """A second process on the same store."""
    application = Rectrack(env=eventsourcing_env(settings, database_url))
    yield application
    application.close()


def test_drafts_in_two_processes_take_consecutive_numbers(
    app: Rectrack, run: Commander, other_app: Rectrack
) -> None:
    authority_id = authority(run)
    other = Commander(Executor(other_app))
    taken = [
        reference_of(app, run, draft("one", authority_id)),
        reference_of(other_app, other, draft("two", authority_id)),
        reference_of(other_app, other, draft("three", authority_id)),
        reference_of(app, run, draft("four", authority_id)),
        reference_of(other_app, other, draft("five", authority_id)),
    ]
    year = DAY.year
    assert taken == [f"NPM-{year}-000{n}" for n in range(1, 6)]
    sequence_id = ReferenceSequence.create_id("NPM", year)
    assert app.get(ReferenceSequence, sequence_id).version == 6
    assert other_app.get(ReferenceSequence, sequence_id).last == 5


def test_a_draft_not_stored_leaves_its_number_to_the_next(app: Rectrack, run: Commander) -> None:
    authority_id = authority(run)
    year = DAY.year
    assert reference_of(app, run, draft("one", authority_id), command_id="k") == f"NPM-{year}-0001"
    # numbered 0002 by its handler, then refused at the save (the key names another draft)
    with pytest.raises(CommandIdReused):
        run(draft("another", authority_id), command_id="k")
    assert reference_of(app, run, draft("two", authority_id)) == f"NPM-{year}-0002"
    sequence = app.get(ReferenceSequence, ReferenceSequence.create_id("NPM", year))
    assert (sequence.version, sequence.last) == (3, 2)
