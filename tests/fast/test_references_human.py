"""Human references (NPM-2024-0123): given when a recommendation is drafted, from a
sequence per prefix and year saved in the same command, so a lost race is a conflict run
again on the new state and never a duplicate; a new year starts at 1; drafts stored before
references existed still load, with none."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from domain.errors import InvalidInput
from domain.recommendation import Recommendation
from domain.reference import ReferenceSequence
from domain.values import EventMeta, RecommendationKind
from services.adapters.memory_store import MEMORY_ENV
from services.application.commands.recommendations import DraftRecommendation
from services.application.executor import Executor
from services.application.references import Block, StagedSequence, tally
from services.application.store import A, Rectrack
from tests.builders import Commander, authority, drafted_recommendation, issued_recommendation


def reference(store: Rectrack, rec: UUID) -> str | None:
    return store.get(Recommendation, rec).reference


def test_two_drafts_in_one_year_get_consecutive_numbers(store: Rectrack, run: Commander) -> None:
    auth = authority(run)
    first = drafted_recommendation(run, auth, on=date(2024, 3, 1))
    second = issued_recommendation(run, auth, date(2024, 11, 30))
    assert reference(store, first) == "NPM-2024-0001"
    assert reference(store, second) == "NPM-2024-0002"


def test_a_new_year_restarts_the_sequence(store: Rectrack, run: Commander) -> None:
    auth = authority(run)
    drafted_recommendation(run, auth, on=date(2024, 12, 31))
    drafted_recommendation(run, auth, on=date(2024, 12, 31))
    january = drafted_recommendation(run, auth, on=date(2025, 1, 2))
    # the year of the drafting business date: an import's issue date, not today's
    back_dated = issued_recommendation(run, auth, date(2023, 6, 1))
    assert reference(store, january) == "NPM-2025-0001"
    assert reference(store, back_dated) == "NPM-2023-0001"


def test_the_prefix_is_a_setting_and_the_external_id_is_kept(store: Rectrack) -> None:
    run = Commander(Executor(store, clock=lambda: date(2024, 5, 5), reference_prefix="OMB"))
    command = DraftRecommendation(
        kind=RecommendationKind.VISIT,
        text="Fit smoke detectors in every cell",
        authority_id=authority(run),
        external_id=" R-17/2019 ",
    )
    rec = store.get(Recommendation, run(command, on=date(2024, 5, 5)).aggregate_id)
    assert (rec.reference, rec.external_id) == ("OMB-2024-0001", "R-17/2019")


def test_a_prefix_must_be_short_capitals() -> None:
    with pytest.raises(InvalidInput) as error:
        ReferenceSequence(prefix="npm 1", year=2024)
    assert error.value.field == "reference_prefix"


class RacingStore(Rectrack):
    """Runs `meanwhile` once, right after a command has looked up the year's sequence:
    another draft takes a number between this one's read and its save."""

    meanwhile: object = None

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        found = super().find(cls, aggregate_id)
        if self.meanwhile is not None and cls is ReferenceSequence:
            meanwhile, self.meanwhile = self.meanwhile, None
            assert callable(meanwhile)
            meanwhile()
        return found


@pytest.mark.parametrize("sequence_exists", [True, False])
def test_a_lost_race_for_a_number_is_run_again_never_a_duplicate(sequence_exists: bool) -> None:
    store = RacingStore(env=MEMORY_ENV)
    run = Commander(Executor(store))
    auth = authority(run)
    if sequence_exists:
        drafted_recommendation(run, auth, on=date(2024, 1, 5))
    store.meanwhile = lambda: drafted_recommendation(run, auth, text="winner", on=date(2024, 2, 1))
    loser = drafted_recommendation(run, auth, text="loser", on=date(2024, 2, 1))
    refs = [
        store.get(Recommendation, event.originator_id).reference
        for event in _events(store)
        if isinstance(event, Recommendation.Drafted)
    ]
    assert len(refs) == len(set(refs)) == (3 if sequence_exists else 2)
    n = 3 if sequence_exists else 2
    assert reference(store, loser) == f"NPM-2024-{n:04d}"
    assert store.get(ReferenceSequence, ReferenceSequence.create_id("NPM", 2024)).last == n


def _events(store: Rectrack) -> list[Aggregate.Event]:
    return [
        store.mapper.to_domain_event(n)
        for n in store.recorder.select_notifications(start=1, limit=1000)
    ]


def test_a_draft_stored_before_references_loads_with_none(store: Rectrack, run: Commander) -> None:
    rec = drafted_recommendation(run, authority(run))
    # What a Drafted event stored before this change holds: no reference, no external id.
    recorder = store.recorder
    stored = recorder.select_events(rec)[0]
    state = store.mapper.transcoder.decode(stored.state)
    del state["reference"], state["external_id"]
    old = type(stored)(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=store.mapper.transcoder.encode(state),
    )
    event = store.mapper.to_domain_event(old)
    loaded = event.mutate(None)
    assert isinstance(loaded, Recommendation)
    assert (loaded.reference, loaded.external_id) == (None, None)


def test_an_import_tallies_the_numbers_it_takes_in_one_block(store: Rectrack) -> None:
    """The import's staging (services/application/references.py): after a sequence's
    first number, the next drafts take theirs on a StagedSequence, by the same rule and
    with no event each; the numbers taken come out as one block per sequence."""
    sequence = ReferenceSequence(prefix="NPM", year=2024)
    meta = EventMeta("importer", "admin", date(2024, 3, 1), "import:1", "row 2", None)
    (first,) = sequence.allocate(meta)
    sequences: dict[UUID, Aggregate] = {sequence.id: sequence}
    numbers: dict[UUID, Block] = {}
    tally(sequences, numbers)
    staged = sequences[sequence.id]
    assert isinstance(staged, StagedSequence)
    assert (staged.id, staged.last, staged.pending_events) == (sequence.id, 1, [])
    taken = [staged.allocate(replace(meta, reason=f"row {n}"))[0] for n in (3, 4)]
    tally(sequences, numbers)
    assert [first, *taken] == ["NPM-2024-0001", "NPM-2024-0002", "NPM-2024-0003"]
    assert staged.pending_events == []
    block = numbers[sequence.id]
    assert (block.first, block.count, block.meta.reason) == (1, 3, "row 4")
