"""What the import's reference-number shortcut takes from eventsourcing's insides.

`StagedSequence` (services/application/references.py) copies a ReferenceSequence by its
`__dict__`, gives the copy a pending list of its own through the library's private
`_pending_events`, and overrides the @event method `_allocate` with a plain one, so a
staged draft takes its number with no event. It was written against eventsourcing 9.5.6
(pinned exactly in pyproject.toml). If an upgrade changes any of this, these tests say
which part: fix StagedSequence.following (or drop the shortcut) before taking the
upgrade, or an import could store recommendations whose numbers their sequence never
recorded, or record every number twice."""

from __future__ import annotations

from datetime import date

from domain.reference import ReferenceSequence
from domain.values import EventMeta
from services.application.references import StagedSequence

META = EventMeta("importer", "admin", date(2024, 3, 1), "import:1", "row 2", None)
WHY = (
    "services/application/references.py StagedSequence relies on eventsourcing 9.5.6's "
    "aggregate internals; the installed version differs there: "
)


def started() -> ReferenceSequence:
    sequence = ReferenceSequence(prefix="NPM", year=2024)
    sequence.allocate(META)
    return sequence


def test_an_aggregates_state_and_pending_events_live_in_its_dict() -> None:
    sequence = started()
    state = vars(sequence)
    assert "_pending_events" in state, (
        WHY + "pending events are no longer kept in the aggregate's `_pending_events`"
    )
    assert state["_pending_events"] is sequence.pending_events, (
        WHY + "`pending_events` no longer returns the `_pending_events` list"
    )
    assert len(sequence.pending_events) == 2, WHY + "an event is no longer pending once triggered"
    copy = object.__new__(ReferenceSequence)
    copy.__dict__.update(state)
    assert (copy.id, copy.version, copy.created_on, copy.modified_on) == (
        sequence.id,
        sequence.version,
        sequence.created_on,
        sequence.modified_on,
    ), WHY + "an aggregate's id, version or timestamps are no longer all in its __dict__"
    collected = sequence.collect_events()
    assert len(collected) == 2 and sequence.pending_events == [], (
        WHY + "collect_events no longer empties the pending list"
    )


def test_a_staged_sequence_takes_numbers_with_no_event_and_its_own_pending_list() -> None:
    sequence = started()
    staged = StagedSequence.following(sequence)
    assert (staged.id, staged.version, staged.prefix, staged.year, staged.last) == (
        sequence.id,
        sequence.version,
        "NPM",
        2024,
        1,
    ), WHY + "the staged copy no longer carries the sequence's state"
    assert staged.pending_events == [] and len(sequence.pending_events) == 2, (
        WHY + "the staged copy does not get a pending list of its own"
    )
    assert staged.allocate(META) == ["NPM-2024-0002"]
    assert staged.pending_events == [] and staged.version == sequence.version, (
        WHY + "a plain `_allocate` overriding the @event method now triggers an event "
        "(the library decorates or wraps overrides in a subclass)"
    )
    assert staged.last == 2 and sequence.last == 1, WHY + "the copy shares state with the original"
    assert staged.collect_events() == [], WHY + "collect_events reads another list"
    assert sequence.collect_events()[-1].originator_version == sequence.version
