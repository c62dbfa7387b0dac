"""The new fields in the views (real PostgreSQL): the status list filtered by source,
recommending body and SDG; the latest stated position after replies without one; a
historic record standing where it stood, never overdue; the statistics per source and per
recommending body; and a rebuild that gives the same rows as the live projector."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

import psycopg

from domain.values import Position, RecommendationKind
from projections.engine.catchup import wait_until_caught_up
from projections.engine.rebuild import rebuild
from projections.engine.registry import select
from projections.engine.runner import Projector, projector_env
from projections.views import statistics, status
from services.adapters.settings import Settings
from services.application.commands.recommendations import (
    DraftRecommendation,
    RecordOrigin,
    RecordResponse,
)
from tests.builders import Commander, authority
from tests.projections.test_rebuild import snapshot

TODAY = date(2026, 12, 1)
ISSUED = date(2026, 1, 5)


@dataclass
class Origins:
    upr: UUID  # UPR, France and Chile, SDG 16.3; replies: none, partially, none
    cpt: UUID  # CPT, rejected
    historic: UUID  # imported on TODAY, reply due in February, none recorded
    changed: UUID  # drafted as NPM, then recorded as SPT
    last: int


def _build(run: Commander) -> Origins:
    ministry = authority(run)

    def draft(text: str, on: date = ISSUED, **fields: object) -> UUID:
        command = DraftRecommendation.model_validate(
            {"kind": RecommendationKind.VISIT, "text": text, "authority_id": ministry,
             "issued_on": ISSUED, **fields}
        )  # fmt: skip
        return run(command, on=on).aggregate_id

    def respond(rec: UUID, day: date, position: Position | None) -> int:
        result = run(RecordResponse(received_on=day, position=position, text="reply"), rec, on=day)
        assert result.notification_id is not None
        return result.notification_id

    upr = draft(
        "Abolish the death penalty",
        source="UPR",
        recommending_bodies=["France", "Chile"],
        cycle="4th",
        session="43",
        sdgs=["16.3"],
    )
    respond(upr, date(2026, 1, 20), None)
    respond(upr, date(2026, 3, 1), Position.PARTIALLY_ACCEPTED)
    respond(upr, date(2026, 5, 1), None)
    cpt = draft("Record every use of force", source="cpt", recommending_bodies=["CPT"])
    respond(cpt, date(2026, 1, 30), Position.REJECTED)
    historic = draft("Renovate the cells", on=TODAY, historic_before=TODAY, source="npm")
    changed = draft("Train the staff", source="npm")
    last = run(RecordOrigin(source="spt", sdgs=["16"]), changed, on=date(2026, 2, 1))
    assert last.notification_id is not None
    return Origins(upr, cpt, historic, changed, last.notification_id)


def test_the_new_fields_in_the_views_and_a_rebuild(
    run: Commander,
    projector: Projector,
    settings: Settings,
    database_url: str,
    schema: str,
) -> None:
    built = _build(run)
    wait_until_caught_up(database_url, schema, built.last, timeout=30)
    with psycopg.connect(database_url) as conn:

        def ids(**filters: object) -> set[UUID]:
            rows, _ = status.list_recommendations(conn, schema, today=TODAY, **filters)  # type: ignore[arg-type]
            return {r["recommendation_id"] for r in rows}

        assert ids(source="upr") == {built.upr}
        assert ids(source="spt") == {built.changed}
        assert ids(source="npm") == {built.historic}
        assert ids(body="FRANCE") == ids(body="chile") == {built.upr}
        assert ids(body="CPT") == {built.cpt}
        assert ids(sdg="16") == {built.upr, built.changed}  # a goal finds its targets
        assert ids(sdg="16.3") == {built.upr}
        assert ids(sdg="16.1") == set()
        overdue = ids(overdue=True)
        assert built.historic not in overdue

        upr = status.get_recommendation_status(conn, schema, built.upr, today=TODAY)
        assert upr is not None
        assert upr["position"] == "partially_accepted"  # the latest position stated
        assert upr["responses"] == 3 and upr["status"] == "responded"
        assert upr["recommending_bodies"] == ["France", "Chile"]
        assert (upr["cycle"], upr["session"], upr["sdgs"]) == ("4th", "43", ["16.3"])

        historic = status.get_recommendation_status(conn, schema, built.historic, today=TODAY)
        assert historic is not None
        # where it stood: issued, reply due in February, none recorded; nothing due now
        assert historic["status"] == "issued" and historic["reply_due"] < TODAY
        assert historic["historic_before"] == TODAY
        assert historic["historic"] and not historic["overdue"]
        assert historic["next_action"] == "historic record" and historic["due_on"] is None

        by_body = statistics.figures(conn, schema, statistics.Filters(), by="recommending_body")
        counted = {row["group"]: (row["issued"], row["partially_accepted"]) for row in by_body}
        assert counted == {"France": (1, 1), "Chile": (1, 1), "CPT": (1, 0)}
        by_source = statistics.figures(conn, schema, statistics.Filters(), by="source")
        assert {row["group"]: row["issued"] for row in by_source} == {
            "upr": 1,
            "cpt": 1,
            "npm": 1,
            "spt": 1,
        }
        upr_only = statistics.figures(conn, schema, statistics.Filters(source="upr"))[0]
        assert upr_only["issued"] == 1 and upr_only["acceptance_rate"] == 100.0

    live = snapshot(database_url, schema)
    rebuild(projector_env(settings, database_url), database_url, schema, select(None))
    assert snapshot(database_url, schema) == live
