"""Each handler's reference checks: a command whose body names an aggregate that does not
exist (or one of another kind) is bad input naming the field and the kind, and stores
nothing; a command on an unknown target is NotFound, naming the kind and the id; and a
targeted command without one is refused before anything is loaded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidInput, NotFound
from domain.values import PlaceType, Position, ReportKind, Role
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    DraftRecommendation,
    RecordResponse,
    Reiterate,
)
from services.application.commands.registry import (
    RecordVisit,
    RegisterPlace,
    RegisterReport,
    SendReport,
)
from services.application.commands.tasks import ClaimTask
from services.application.commands.users import GrantRole
from services.application.store import Rectrack
from tests.builders import (
    DAY,
    Commander,
    authority,
    issued_recommendation,
    place,
    register_authority_command,
)
from tests.fast.samples import samples
from tests.fast.states import stored, task_worker

MISSING = UUID(int=7)


@dataclass(frozen=True)
class World:
    """One of everything a command can refer to."""

    authority: UUID
    place: UUID
    visit: UUID
    report: UUID
    recommendation: UUID
    user: UUID


@pytest.fixture
def world(run: Commander) -> World:
    authority_id = authority(run)
    place_id = place(run, authority_id)
    visit = run(RecordVisit(place_id=place_id, start_date=DAY, end_date=DAY)).aggregate_id
    report = run(
        RegisterReport(
            kind=ReportKind.VISIT_REPORT, title="Visit", report_date=DAY, visit_ids=[visit]
        )
    ).aggregate_id
    return World(
        authority=authority_id,
        place=place_id,
        visit=visit,
        report=report,
        recommendation=issued_recommendation(run, authority_id),
        user=task_worker(run, "hedda"),
    )


def _draft(w: World, **references: UUID) -> DraftRecommendation:
    body = {"kind": "visit", "text": "Open the yard", "authority_id": w.authority, **references}
    return DraftRecommendation.model_validate(body)


# (what is missing, the command naming it, its target, the kind the error names)
Case = tuple[str, Callable[[World], Command], Callable[[World], UUID | None], str]
CASES: list[Case] = [
    ("draft's authority", lambda w: _draft(w, authority_id=MISSING), lambda w: None, "authority"),
    ("draft's report", lambda w: _draft(w, report_id=MISSING), lambda w: None, "report"),
    ("draft's place", lambda w: _draft(w, place_id=MISSING), lambda w: None, "place"),
    ("draft's visit", lambda w: _draft(w, visit_id=MISSING), lambda w: None, "visit"),
    (
        "reiterated recommendation",
        lambda w: Reiterate(earlier_id=MISSING),
        lambda w: w.recommendation,
        "recommendation",
    ),
    (
        "parent authority",
        lambda w: register_authority_command().model_copy(update={"parent_id": MISSING}),
        lambda w: None,
        "authority",
    ),
    (
        "place's authority",
        lambda w: RegisterPlace(name="P", place_type=PlaceType.PRISON, authority_id=MISSING),
        lambda w: None,
        "authority",
    ),
    (
        "visited place",
        lambda w: RecordVisit(place_id=MISSING, start_date=DAY, end_date=DAY),
        lambda w: None,
        "place",
    ),
    (
        "report's visit",
        lambda w: RegisterReport(
            kind=ReportKind.VISIT_REPORT, title="R", report_date=DAY, visit_ids=[w.visit, MISSING]
        ),
        lambda w: None,
        "visit",
    ),
    (
        "authority a report is sent to",
        lambda w: SendReport(authority_id=MISSING, sent_on=DAY),
        lambda w: w.report,
        "authority",
    ),
    (
        "liaison's authority",
        lambda w: GrantRole(role=Role.AUTHORITY_LIAISON, authority_id=MISSING),
        lambda w: w.user,
        "authority",
    ),
]


# The field of the body that names the missing aggregate, per case.
FIELDS = {
    "draft's authority": "authority_id",
    "draft's report": "report_id",
    "draft's place": "place_id",
    "draft's visit": "visit_id",
    "reiterated recommendation": "earlier_id",
    "parent authority": "parent_id",
    "place's authority": "authority_id",
    "visited place": "place_id",
    "report's visit": "visit_ids",
    "authority a report is sent to": "authority_id",
    "liaison's authority": "authority_id",
}


@pytest.mark.parametrize(("missing", "command", "target", "kind"), CASES, ids=[c[0] for c in CASES])
def test_an_unknown_reference_is_bad_input_naming_the_field(
    store: Rectrack,
    run: Commander,
    world: World,
    missing: str,
    command: Callable[[World], Command],
    target: Callable[[World], UUID | None],
    kind: str,
) -> None:
    events = stored(store)
    with pytest.raises(InvalidInput) as error:
        run(command(world), target(world), command_id="refused")
    assert (error.value.field, error.value.rule) == (FIELDS[missing], f"no {kind} with this id")
    assert stored(store) == events and store.applied("refused") is None


def test_a_reference_to_another_kind_is_bad_input_and_a_target_of_another_kind_not_found(
    store: Rectrack, run: Commander, world: World
) -> None:
    events = stored(store)
    with pytest.raises(InvalidInput) as refused:
        run(_draft(world, authority_id=world.place))
    assert refused.value.field == "authority_id"
    assert refused.value.rule == "no authority with this id"
    with pytest.raises(NotFound) as error:
        run(ClaimTask(), world.recommendation)
    assert (error.value.kind, error.value.aggregate_id) == ("task", world.recommendation)
    response = RecordResponse(received_on=DAY, position=Position.ACCEPTED, text="ok")
    with pytest.raises(NotFound) as error:
        run(response, world.authority)
    assert error.value.kind == "recommendation"
    assert stored(store) == events


TARGETED = [c for c in samples(MISSING).values() if c.targeted]


@pytest.mark.parametrize("command", TARGETED, ids=lambda c: type(c).__name__)
def test_an_unknown_target_is_not_found(store: Rectrack, run: Commander, command: Command) -> None:
    target = uuid4()
    with pytest.raises(NotFound) as error:
        run(command, target)
    assert error.value.aggregate_id == target and str(target) in str(error.value)
    assert stored(store) == 0


@pytest.mark.parametrize("command", TARGETED, ids=lambda c: type(c).__name__)
def test_a_targeted_command_needs_its_target(run: Commander, command: Command) -> None:
    with pytest.raises(InvalidInput) as error:
        run(command, None)
    assert error.value.field == "id"


def test_a_refused_command_leaves_its_id_free(store: Rectrack, run: Commander) -> None:
    rec = issued_recommendation(run, authority(run))
    early = RecordResponse(received_on=date(2026, 1, 1), position=Position.ACCEPTED, text="ok")
    events = stored(store)
    with pytest.raises(InvalidInput):  # received before it was issued
        run(early, rec, command_id="reply")
    assert stored(store) == events
    on_time = early.model_copy(update={"received_on": date(2026, 1, 20)})
    assert not run(on_time, rec, command_id="reply").replayed
    assert stored(store) == events + 1
