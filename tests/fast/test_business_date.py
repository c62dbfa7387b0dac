"""The business-date convention: a command whose fact carries its own date names that
field in `dated_by`, and its events are dated by it when it is given; every other command
(and one whose dated field is left out) is dated by the caller's today, else the
executor's clock. The caller, the reason and the command id go on the events too."""

from __future__ import annotations

import types
import typing
from datetime import date
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.recommendation import Recommendation
from domain.values import FollowUpKind, Position, RecommendationKind
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    DraftRecommendation,
    RecordFollowUp,
    RecordResponse,
    Reformulate,
)
from services.application.executor import Caller, Executor
from services.application.handlers import HANDLERS
from services.application.store import Rectrack
from tests.builders import DAY, Commander, authority, issued_recommendation
from tests.fast.samples import samples

TODAY = date(2026, 3, 10)
OTHER = date(2026, 3, 2)
CARLA = Caller("carla", "caseworker")
SAMPLES = samples(uuid4())


def _dated_field_accepts_a_date(command_type: type[Command]) -> bool:
    field = command_type.model_fields[command_type.dated_by or ""]
    annotation = field.annotation
    options = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    return annotation is date or date in options


def test_every_command_has_a_sample() -> None:
    assert set(SAMPLES) == set(HANDLERS)


@pytest.mark.parametrize("command", list(SAMPLES.values()), ids=lambda c: type(c).__name__)
def test_business_date_of_every_command(executor: Executor, command: Command) -> None:
    field = command.dated_by
    if field is None:
        assert executor.meta(command, CARLA, today=TODAY).business_date == TODAY
        return
    assert _dated_field_accepts_a_date(type(command))
    given = command.model_copy(update={field: OTHER})
    assert executor.meta(given, CARLA, today=TODAY).business_date == OTHER
    if not type(command).model_fields[field].is_required():
        left_out = command.model_copy(update={field: None})
        assert executor.meta(left_out, CARLA, today=TODAY).business_date == TODAY


def test_without_a_day_from_the_caller_the_clock_says_today(executor: Executor) -> None:
    command = Reformulate(text="New wording", reason="clearer")
    meta = executor.meta(command, CARLA)
    assert meta.business_date == DAY  # the fast tier's executor clock
    assert (meta.actor_id, meta.actor_role, meta.reason) == ("carla", "caseworker", "clearer")
    assert UUID(meta.command_id)  # a fresh id when the caller gives none
    assert executor.meta(command, CARLA, command_id="c-1").command_id == "c-1"


def test_events_carry_the_dated_field_or_today(store: Rectrack, run: Commander) -> None:
    rec = issued_recommendation(run, authority(run))
    run(
        RecordResponse(received_on=OTHER, position=Position.ACCEPTED, text="Agreed"),
        rec,
        on=TODAY,
        caller=CARLA,
    )
    run(RecordFollowUp(kind=FollowUpKind.LETTER, summary="Wrote"), rec, on=TODAY)
    run(RecordFollowUp(kind=FollowUpKind.VISIT, summary="Went", happened_on=OTHER), rec, on=TODAY)
    run(Reformulate(text="Open the yard every day"), rec, on=TODAY)
    events: list[Any] = list(store.events.get(rec))[2:]  # ours all carry `meta`
    assert [(type(e).__name__, e.meta.business_date) for e in events] == [
        ("ResponseReceived", OTHER),
        ("FollowUpRecorded", TODAY),
        ("FollowUpRecorded", OTHER),
        ("Reformulated", TODAY),
    ]
    assert events[0].meta.actor_id == "carla"
    follow_ups = store.get(Recommendation, rec).follow_ups
    assert [f["on"] for f in follow_ups] == [TODAY, OTHER]


def test_a_draft_issued_at_once_is_drafted_and_issued_on_its_issue_date(
    store: Rectrack, run: Commander
) -> None:
    authority_id = authority(run)
    draft = DraftRecommendation(kind=RecommendationKind.VISIT, text="x", authority_id=authority_id)
    issued = run(draft.model_copy(update={"issued_on": OTHER}), on=TODAY).aggregate_id
    drafted = run(draft, on=TODAY).aggregate_id
    dated: list[Any] = list(store.events.get(issued))
    assert [e.meta.business_date for e in dated] == [OTHER, OTHER]
    assert store.get(Recommendation, issued).drafted_on == OTHER
    assert store.get(Recommendation, drafted).drafted_on == TODAY
