"""Each view, fed live by the projector from events written through the executor."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from domain.errors import InvalidInput
from domain.values import Position
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import projector_env
from projections.facts import fact_mapper
from projections.views import places, scorecard, status, timeline, trends
from services.adapters.settings import Settings
from tests.builders import Commander
from tests.projections.scenario import TODAY, Scenario, reply


def test_status_row_has_the_facts_and_the_analysis(
    scenario: Scenario, database_url: str, schema: str
) -> None:
    with psycopg.connect(database_url) as conn:
        row = status.get_recommendation_status(conn, schema, scenario.answered, today=TODAY)
    assert row is not None
    assert row["status"] == "assessed"
    assert row["authority_name"] == "Ministry of Justice"
    assert row["place_name"] == "Prison A" and row["place_type"] == "prison"
    assert row["visit_id"] == scenario.visit_id
    assert row["themes"] == ["outdoor exercise"] and row["vulnerable_groups"] == ["women"]
    assert row["issued_on"] == date(2026, 1, 5) and row["reply_due"] == date(2026, 2, 4)
    assert row["position"] == "accepted" and row["first_response_on"] == date(2026, 1, 20)
    assert row["agreed_implementation_date"] == date(2026, 3, 1)
    assert row["implementation"] == "implemented" and row["verified"] is True
    assert row["verification_method"] == "follow-up visit"
    assert row["last_action"] == "Implementation assessed"
    assert row["last_action_on"] == date(2026, 3, 5)
    assert row["overdue"] is False and row["due_on"] is None
    assert row["version"] == 4


def test_status_filters(scenario: Scenario, database_url: str, schema: str) -> None:
    def ids(**filters: object) -> tuple[set[object], int]:
        with psycopg.connect(database_url) as conn:
            items, total = status.list_recommendations(conn, schema, today=TODAY, **filters)  # type: ignore[arg-type]
        assert total == len(items)
        return {i["recommendation_id"] for i in items}, total

    everything = {
        scenario.answered,
        scenario.late,
        scenario.overdue,
        scenario.draft,
        scenario.repeat,
    }
    assert ids()[0] == everything
    assert ids(status="issued")[0] == {scenario.overdue, scenario.repeat}
    assert ids(authority_id=scenario.other_authority_id)[0] == {scenario.draft}
    assert ids(place_id=scenario.place_id)[0] == everything - {scenario.draft}
    assert ids(place_type="prison")[0] == everything - {scenario.draft}
    assert ids(theme="Outdoor Exercise")[0] == {scenario.answered, scenario.overdue}
    assert ids(keyword="training")[0] == {scenario.overdue}
    assert ids(group="women")[0] == {scenario.answered}
    assert ids(kind="thematic")[0] == {scenario.draft}
    assert ids(year=2026)[0] == everything
    assert ids(overdue=True)[0] == {scenario.overdue}
    assert ids(q="call buttons")[0] == {scenario.late, scenario.repeat}
    with psycopg.connect(database_url) as conn:
        overdue, _ = status.list_recommendations(conn, schema, overdue=True, today=TODAY)
        assert overdue[0]["days_overdue"] == (TODAY - overdue[0]["reply_due"]).days > 0
        page, total = status.list_recommendations(conn, schema, limit=2, offset=0)
        assert len(page) == 2 and total == 5
        with pytest.raises(InvalidInput, match="limit"):
            status.list_recommendations(conn, schema, limit=0)
        with pytest.raises(InvalidInput, match="authority_id"):
            status.list_recommendations(conn, schema, authority_id="not-a-uuid")


def test_read_your_writes(
    scenario: Scenario, run: Commander, database_url: str, schema: str
) -> None:
    result = reply(run, scenario.overdue, date(2026, 5, 20), Position.NOTED, "Noted")
    assert result.notification_id is not None
    wait_until_caught_up(database_url, schema, result.notification_id, timeout=30)
    with psycopg.connect(database_url) as conn:
        row = status.get_recommendation_status(conn, schema, scenario.overdue, today=TODAY)
    assert row is not None and row["status"] == "responded" and row["overdue"] is False
    with pytest.raises(TimeoutError, match="status at"):
        wait_until_caught_up(
            database_url, schema, result.notification_id + 1, timeout=0.2, names=["status"]
        )


def test_authority_scorecard(scenario: Scenario, database_url: str, schema: str) -> None:
    with psycopg.connect(database_url) as conn:
        rows = scorecard.authority_scorecard(conn, schema, year=2026, today=TODAY)
    assert len(rows) == 1  # the other authority's only recommendation is a draft
    card = rows[0]
    assert card["authority_id"] == scenario.authority_id
    assert card["issued"] == 4
    assert card["replied"] == 2
    assert card["replied_on_time"] == 1 and card["replied_on_time_pct"] == 25.0
    assert card["median_days_to_reply"] == (15 + 55) / 2
    assert card["accepted"] == 1 and card["positioned"] == 2 and card["acceptance_rate"] == 50.0
    assert card["implemented_verified"] == 1 and card["implemented_verified_pct"] == 25.0
    assert card["overdue_now"] == 1  # `repeat` is due 2026-05-31 -> not yet overdue on TODAY


def test_theme_trends_and_repeat_chains(
    scenario: Scenario, run: Commander, database_url: str, schema: str
) -> None:
    with psycopg.connect(database_url) as conn:
        counted = trends.theme_trends(conn, schema, year=2026, dimension="theme")
    cells = {(c["period"], c["value"], c["status"]): c["n"] for c in counted["counts"]}
    assert cells[("2026", "outdoor exercise", "assessed")] == 1
    assert cells[("2026", "outdoor exercise", "issued")] == 1
    assert cells[("2026-Q1", "outdoor exercise", "assessed")] == 1
    assert cells[("2026-Q2", "outdoor exercise", "issued")] == 1
    assert cells[("2026", "health care", "responded")] == 1
    assert cells[("2026-Q2", "health care", "issued")] == 1
    assert ("2026", "solitary confinement", "draft") in cells
    chains = counted["repeat_chains"]
    assert len(chains) == 1
    assert chains[0]["first_id"] == scenario.late and chains[0]["times_raised_again"] == 1
    assert chains[0]["members"] == [str(scenario.late), str(scenario.repeat)]

    # A status change moves the count from one cell to another.
    result = reply(run, scenario.overdue, date(2026, 5, 20), Position.ACCEPTED, "Yes")
    assert result.notification_id is not None
    wait_until_caught_up(database_url, schema, result.notification_id, timeout=30)
    with psycopg.connect(database_url) as conn:
        after = trends.theme_trends(conn, schema, year=2026, dimension="theme")
    moved = {(c["period"], c["value"], c["status"]): c["n"] for c in after["counts"]}
    assert ("2026", "outdoor exercise", "issued") not in moved
    assert moved[("2026", "outdoor exercise", "responded")] == 1
    with pytest.raises(InvalidInput, match="dimension"), psycopg.connect(database_url) as conn:
        trends.theme_trends(conn, schema, dimension="colour")


def test_place_history(scenario: Scenario, database_url: str, schema: str) -> None:
    with psycopg.connect(database_url) as conn:
        history = places.place_history(conn, schema, scenario.place_id)
        assert places.place_history(conn, schema, scenario.authority_id) is None
    assert history is not None
    assert history["name"] == "Prison A" and history["place_type"] == "prison"
    assert [v["visit_id"] for v in history["visits"]] == [scenario.visit_id]
    assert history["visits"][0]["team"] == ["ana", "ben"]
    recs = history["recommendations"]
    # Oldest first; recommendations made on the same day in a stable (id) order.
    assert recs == sorted(recs, key=lambda r: (r["made_on"], r["recommendation_id"]))
    by_id = {r["recommendation_id"]: r for r in recs}
    assert set(by_id) == {scenario.answered, scenario.late, scenario.overdue, scenario.repeat}
    answered = by_id[scenario.answered]
    assert answered["implementation"] == "implemented" and answered["verified"] is True
    assert by_id[scenario.late]["position"] == "rejected"
    assert history["outcomes"] == {"implemented": 1, "responded": 1, "issued": 2}


def test_audit_timeline(
    scenario: Scenario, settings: Settings, database_url: str, schema: str
) -> None:
    mapper = fact_mapper(projector_env(settings, database_url))
    with psycopg.connect(database_url) as conn:
        events = timeline.audit_timeline(conn, schema, scenario.late, mapper)
    assert [e["event"] for e in events] == [
        "Drafted",
        "Issued",
        "ResponseReceived",
        "FollowUpRecorded",
    ]
    reply = events[2]
    assert reply["actor_id"] == "caseworker-1" and reply["actor_role"] == "caseworker"
    assert reply["business_date"] == date(2026, 3, 1)
    assert reply["reason"] == "letter arrived late"
    assert reply["recorded_at"] is not None
    changed = {c["field"]: (c["before"], c["after"]) for c in reply["changes"]}
    assert changed["status"] == ("issued", "responded")
    assert changed["position"] == (None, "rejected")
    assert reply["details"]["text"] == "No budget"
    assert [e["version"] for e in events] == [1, 2, 3, 4]


def test_list_total_is_capped(
    scenario: Scenario, database_url: str, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(database_url) as conn:
        _, total = status.list_recommendations(conn, schema, limit=1)
        assert total == 5 and total.exact
        monkeypatch.setattr(status, "COUNT_CAP", 3)
        page, total = status.list_recommendations(conn, schema, limit=1)
        assert len(page) == 1
        assert total == 3 and not total.exact  # "at least 3"
        _, total = status.list_recommendations(conn, schema, kind="thematic", limit=1)
        assert total == 1 and total.exact
