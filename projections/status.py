"""Recommendation status: one row per recommendation with every factual and analytical
field of DESIGN.md, its status, reply due date, escalation level, last action and the
authority's next obligation. Overdue and days overdue depend on today, so they are
computed by the queries from `due_on`; the row need not be rewritten every day."""

from __future__ import annotations

from typing import Any, ClassVar

from projections.base import Rows, Table, View, ViewProjection, ViewRecorder, on
from projections.facts import Fact
from projections.recommendation_fields import (
    LABELS,
    blank,
    changes,
    obligation_due,
    year_of,
)

RECOMMENDATIONS = Table(
    "status_recommendations",
    {
        "recommendation_id": "uuid",
        "kind": "text",
        "text": "text",
        "status": "text",
        "authority_id": "uuid",
        "report_id": "uuid",
        "place_id": "uuid",
        "place_type": "text",
        "visit_id": "uuid",
        "themes": "text[]",
        "keywords": "text[]",
        "vulnerable_groups": "text[]",
        "detention_practices": "text[]",
        "problem_natures": "text[]",
        "staff": "text[]",
        "drafted_on": "date",
        "issued_on": "date",
        "made_on": "date",
        "year": "int",
        "review_met": "int",
        "reply_due": "date",
        "repeats_id": "uuid",
        "position": "text",
        "responses": "int",
        "first_response_on": "date",
        "last_response_on": "date",
        "agreed_implementation_date": "date",
        "follow_ups": "int",
        "last_follow_up_on": "date",
        "implementation": "text",
        "non_implementation_reason": "text",
        "assessed_on": "date",
        "verified": "boolean",
        "verified_on": "date",
        "verification_method": "text",
        "stakeholders": "int",
        "escalation_level": "int",
        "reminders": "int",
        "reply_deadline_missed_on": "date",
        "ended_on": "date",
        "last_action": "text",
        "last_action_on": "date",
        "last_actor": "text",
        "next_action": "text",
        "due_on": "date",
        "version": "int",
    },
    key=("recommendation_id",),
    # Each list query orders by (made_on DESC, recommendation_id), or by (due_on,
    # recommendation_id) for the overdue list, so the indexes end in that order and a
    # page is read off an index scan that stops after `limit` rows.
    indexes=(
        "(made_on DESC, recommendation_id)",
        "(authority_id, made_on DESC, recommendation_id)",
        "(place_id, made_on DESC, recommendation_id)",
        "(status, made_on DESC, recommendation_id)",
        # themes included: the total of a theme + year list is counted off this index
        # alone (an index-only scan), not from every matching row.
        "(year, made_on DESC, recommendation_id) INCLUDE (themes)",
        "(due_on, recommendation_id) WHERE due_on IS NOT NULL",
        "USING gin (themes)",
        "USING gin (keywords)",
        "USING gin (vulnerable_groups)",
        "USING gin (to_tsvector('simple', text))",
        "(authority_id, status, made_on DESC, recommendation_id)",
        "(authority_id, due_on, recommendation_id) WHERE due_on IS NOT NULL",
    ),
)
AUTHORITIES = Table(
    "status_authorities", {"authority_id": "uuid", "name": "text"}, key=("authority_id",)
)
PLACES = Table(
    "status_places",
    {"place_id": "uuid", "name": "text", "place_type": "text", "authority_id": "uuid"},
    key=("place_id",),
)
REPORTS = Table(
    "status_reports",
    {"report_id": "uuid", "title": "text", "kind": "text", "link": "text"},
    key=("report_id",),
)


class StatusView(View):
    name = "status"
    tables: ClassVar[tuple[Table, ...]] = (RECOMMENDATIONS, AUTHORITIES, PLACES, REPORTS)

    @on(*(f"Recommendation.{name}" for name in LABELS))
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        row = rows.get(RECOMMENDATIONS, rec_id)
        if row is None:
            row = {"recommendation_id": rec_id, **blank()}
        row.update(changes(row, fact))
        if fact.name == "Recommendation.Drafted" and row["place_id"]:
            place = rows.get(PLACES, row["place_id"])
            row["place_type"] = place["place_type"] if place else None
        meta = fact.meta
        row["made_on"] = row["issued_on"] or row["drafted_on"]
        row["year"] = year_of(row)
        row["last_action"] = LABELS.get(fact.name[15:], fact.name)
        row["last_action_on"] = meta.get("business_date")
        row["last_actor"] = meta.get("actor_id")
        row["next_action"], row["due_on"] = obligation_due(row)
        row["version"] = fact.version
        rows.put(RECOMMENDATIONS, row)

    @on("Authority.Registered", "Authority.Renamed")
    def authority_named(self, fact: Fact, rows: Rows) -> None:
        rows.put(AUTHORITIES, {"authority_id": str(fact.originator_id), "name": fact.data["name"]})

    @on("Place.Registered")
    def place_registered(self, fact: Fact, rows: Rows) -> None:
        data = fact.data
        rows.put(
            PLACES,
            {
                "place_id": str(fact.originator_id),
                "name": data["name"],
                "place_type": data["place_type"],
                "authority_id": data["authority_id"],
            },
        )

    @on("Place.ResponsibleAuthorityChanged")
    def place_moved(self, fact: Fact, rows: Rows) -> None:
        place = rows.get(PLACES, str(fact.originator_id))
        if place is not None:
            place["authority_id"] = fact.data["authority_id"]
            rows.put(PLACES, place)

    @on("Report.Registered")
    def report_registered(self, fact: Fact, rows: Rows) -> None:
        data: dict[str, Any] = fact.data
        rows.put(
            REPORTS,
            {
                "report_id": str(fact.originator_id),
                "title": data["title"],
                "kind": data["kind"],
                "link": data.get("link"),
            },
        )


class StatusRecorder(ViewRecorder):
    view = StatusView()


class StatusProjection(ViewProjection):
    name = "status"
