"""Fields for other mechanisms (domain/origin.py): source, recommending bodies, session and
cycle, SDG goals and targets, and changing them with OriginRecorded; replies without a
position and several replies over time; the historic-record rule the relay asks.

A bad value is refused naming the field and the rule, and a refused command appends
nothing."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from domain.errors import InvalidInput
from domain.origin import Source, check_sdg, clean_origin, deadline_is_history
from domain.recommendation import Recommendation
from domain.values import Position, RecommendationKind, Status
from services.api.views import recommendation_out
from services.application.commands import recommendations as command
from services.application.store import Rectrack
from services.application.summaries import Names, summaries
from tests.builders import DAY, Commander, authority, import_meta, issued_recommendation, reply
from tests.fast.states import stored

UPR = {
    "source": "UPR",
    "recommending_bodies": ["France", " Chile ", "FRANCE", "Costa  Rica"],
    "session": "43rd session",
    "cycle": "4th",
    "sdgs": ["16.3", "5", "16.A", "16.10", "16.3"],
}


def _draft(run: Commander, **fields: Any) -> UUID:
    body = {"kind": "visit", "text": "Abolish the death penalty", "issued_on": DAY}
    authority_id = authority(run)
    return run(
        command.DraftRecommendation.model_validate(
            {**body, "authority_id": authority_id, **fields}
        ),
        on=DAY,
    ).aggregate_id


def test_the_origin_is_given_at_drafting_and_normalised(store: Rectrack, run: Commander) -> None:
    rec = store.get(Recommendation, _draft(run, **UPR, external_id="A/HRC/52/8 para 45.1"))
    assert rec.origin == {
        "source": "upr",
        "recommending_bodies": ["France", "Chile", "Costa Rica"],
        "session": "43rd session",
        "cycle": "4th",
        "sdgs": ["5", "16.3", "16.10", "16.a"],
    }
    assert rec.external_id == "A/HRC/52/8 para 45.1"
    out = recommendation_out(rec, DAY)
    assert (out.source, out.recommending_bodies, out.sdgs) == (
        "upr",
        ["France", "Chile", "Costa Rica"],
        ["5", "16.3", "16.10", "16.a"],
    )


def test_a_draft_without_origin_has_an_empty_one(store: Rectrack, run: Commander) -> None:
    rec = store.get(Recommendation, _draft(run))
    assert rec.origin == {
        "source": None,
        "recommending_bodies": [],
        "session": None,
        "cycle": None,
        "sdgs": [],
    }
    assert rec.historic_before is None


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("18", "there are 17 goals, numbered 1 to 17"),
        ("0", "there are 17 goals"),
        ("16.11", "not a target of goal 16, which has 16.1 to 16.10 and 16.a to 16.b"),
        ("16.c", "not a target of goal 16"),
        ("17.a", "goal 17, which has 17.1 to 17.19"),
        ("1.0", "not a target of goal 1"),
        ("SDG16", "is not an SDG goal (1 to 17, e.g. 16) or one of its targets"),
        ("16.3.1", "is not an SDG goal"),
    ],
)
def test_a_bad_sdg_names_the_field_and_the_rule(value: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_sdg(value)
    assert refused.value.field == "sdgs"
    assert rule in refused.value.rule
    with pytest.raises(ValidationError) as invalid:
        command.RecordOrigin(sdgs=["16", value])
    (error,) = invalid.value.errors()
    assert error["loc"] == ("sdgs", 1)
    assert rule in error["msg"]


@pytest.mark.parametrize(
    ("value", "normal"), [("16", "16"), (" 16.3 ", "16.3"), ("16.A", "16.a"), ("8.01", "8.1")]
)
def test_good_sdgs_are_normalised(value: str, normal: str) -> None:
    assert check_sdg(value) == normal


@pytest.mark.parametrize(
    ("given", "source"),
    [("UPR", Source.UPR), ("CCPR/HRC", Source.CCPR), ("HRC", Source.CCPR),
     ("Special procedures", Source.SPECIAL_PROCEDURES), ("accident-investigation",
     Source.ACCIDENT_INVESTIGATION), ("cpt", Source.CPT)],
)  # fmt: skip
def test_sources_are_read_in_any_case_and_by_their_other_names(given: str, source: Source) -> None:
    assert command.RecordOrigin(source=given).source is source  # type: ignore[arg-type]


def test_a_bad_source_lists_the_accepted_ones() -> None:
    with pytest.raises(ValidationError) as invalid:
        command.RecordOrigin(source="UN")  # type: ignore[arg-type]
    (error,) = invalid.value.errors()
    assert error["loc"] == ("source",)
    assert "'upr'" in error["msg"] and "'accident_investigation'" in error["msg"]
    with pytest.raises(InvalidInput) as refused:
        clean_origin({"source": "UN"})
    assert refused.value.field == "source" and "upr" in refused.value.rule


def test_limits_of_the_command_model() -> None:
    with pytest.raises(ValidationError) as invalid:
        command.RecordOrigin(recommending_bodies=["x" * 201])
    assert invalid.value.errors()[0]["loc"] == ("recommending_bodies", 0)
    with pytest.raises(ValidationError) as invalid:
        command.RecordOrigin(recommending_bodies=[f"State {n}" for n in range(101)])
    assert invalid.value.errors()[0]["loc"] == ("recommending_bodies",)
    with pytest.raises(ValidationError) as invalid:
        command.RecordOrigin(session="s" * 101)
    assert invalid.value.errors()[0]["loc"] == ("session",)
    with pytest.raises(ValidationError, match="give at least one of"):
        command.RecordOrigin()


def test_the_origin_changes_by_an_event_and_only_what_is_given(
    store: Rectrack, run: Commander
) -> None:
    rec_id = _draft(run, **UPR)
    run(command.RecordOrigin(cycle="3rd", sdgs=["16"], external_id="X-1"), rec_id)
    rec = store.get(Recommendation, rec_id)
    assert rec.origin["cycle"] == "3rd"
    assert rec.origin["sdgs"] == ["16"]
    assert rec.origin["recommending_bodies"] == ["France", "Chile", "Costa Rica"]
    assert rec.external_id == "X-1"
    last = list(store.events.get(rec_id))[-1]
    assert type(last).__name__ == "OriginRecorded"


def test_an_unchanged_or_bad_origin_appends_nothing(store: Rectrack, run: Commander) -> None:
    rec_id = _draft(run, **UPR)
    before = stored(store)
    with pytest.raises(InvalidInput, match="origin: is unchanged"):
        run(command.RecordOrigin(cycle="4th"), rec_id)
    rec = store.get(Recommendation, rec_id)
    with pytest.raises(InvalidInput) as refused:  # the domain checks too, not only the model
        rec.record_origin(import_meta(DAY), {"sdgs": ["99"]})
    assert refused.value.field == "sdgs"
    assert not rec.pending_events
    assert stored(store) == before


def test_a_reply_without_a_position_and_later_replies(store: Rectrack, run: Commander) -> None:
    rec_id = issued_recommendation(run, authority(run))
    run(
        command.RecordResponse(received_on=date(2026, 1, 20), text="Under consideration"),
        rec_id,
        on=date(2026, 1, 20),
    )
    rec = store.get(Recommendation, rec_id)
    assert rec.status is Status.RESPONDED  # a reply was received: the reply is no longer due
    assert rec.position is None
    assert rec.responses[0]["position"] is None
    reply(run, rec_id, date(2026, 3, 2), position=Position.PARTIALLY_ACCEPTED)
    run(
        command.RecordResponse(received_on=date(2026, 5, 4), text="Works have begun"),
        rec_id,
        on=date(2026, 5, 4),
    )
    rec = store.get(Recommendation, rec_id)
    # the latest position stated counts; a progress reply without one keeps it
    assert rec.position is Position.PARTIALLY_ACCEPTED
    assert [r["position"] for r in rec.responses] == [None, "partially_accepted", None]
    reply(run, rec_id, date(2026, 6, 1), position=Position.ACCEPTED)
    assert store.get(Recommendation, rec_id).position is Position.ACCEPTED


def test_a_reply_without_a_position_agrees_no_date(store: Rectrack, run: Commander) -> None:
    rec_id = issued_recommendation(run, authority(run))
    before = stored(store)
    with pytest.raises(InvalidInput) as refused:
        run(
            command.RecordResponse(
                received_on=date(2026, 1, 20),
                text="Under consideration",
                agreed_implementation_date=date(2026, 9, 1),
            ),
            rec_id,
        )
    assert refused.value.field == "agreed_implementation_date"
    assert "reply without a position" in refused.value.rule
    assert stored(store) == before


def test_the_historic_rule() -> None:
    imported = date(2026, 12, 1)
    assert deadline_is_history(imported, date(2019, 3, 1))
    assert not deadline_is_history(imported, imported)
    assert not deadline_is_history(imported, date(2027, 1, 1))
    assert not deadline_is_history(None, date(2019, 3, 1))
    assert not deadline_is_history(imported, None)


def test_a_historic_record_is_not_overdue_and_says_so(store: Rectrack, run: Commander) -> None:
    authority_id = authority(run)
    imported = date(2026, 12, 1)
    historic = run(
        command.DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="Renovate the cells",
            authority_id=authority_id,
            issued_on=DAY,
            historic_before=imported,
        ),
        on=imported,
    ).aggregate_id
    ordinary = issued_recommendation(run, authority_id)
    out = recommendation_out(store.get(Recommendation, historic), imported)
    assert out.historic and not out.overdue
    assert out.historic_before == imported
    assert out.reply_due is not None and out.reply_due < imported  # where it stood
    other = recommendation_out(store.get(Recommendation, ordinary), imported)
    assert other.overdue and not other.historic
    drafted = summaries(list(store.events.get(historic))[:1], Names(store))[0]
    assert "imported on 2026-12-01 as a historic record" in drafted


def test_historic_before_cannot_silence_deadlines_to_come(store: Rectrack, run: Commander) -> None:
    authority_id = authority(run)
    before = stored(store)
    with pytest.raises(InvalidInput) as refused:
        run(
            command.DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text="Renovate the cells",
                authority_id=authority_id,
                issued_on=DAY,
                historic_before=date(2026, 12, 2),
            ),
            on=date(2026, 12, 1),
        )
    assert refused.value.field == "historic_before"
    assert "must not be after today" in refused.value.rule
    assert stored(store) == before
