"""Place history: per place of detention, its visits and the recommendations made about
it, with their outcomes, over time. Recommendations not tied to a place (thematic ones,
the annual report's) do not appear here."""

from __future__ import annotations

from typing import ClassVar

from projections.base import Rows, Table, View, ViewProjection, ViewRecorder, on
from projections.facts import Fact
from projections.recommendation_fields import INITIAL, LABELS, changes

PLACES = Table(
    "places_places",
    {
        "place_id": "uuid",
        "name": "text",
        "place_type": "text",
        "region": "text",
        "authority_id": "uuid",
    },
    key=("place_id",),
)
VISITS = Table(
    "places_visits",
    {
        "visit_id": "uuid",
        "place_id": "uuid",
        "start_date": "date",
        "end_date": "date",
        "kind": "text",
        "team": "text[]",
    },
    key=("visit_id",),
    indexes=("(place_id, start_date)",),
)
RECOMMENDATIONS = Table(
    "places_recommendations",
    {
        "recommendation_id": "uuid",
        "place_id": "uuid",
        "visit_id": "uuid",
        "kind": "text",
        "text": "text",
        "made_on": "date",
        "status": "text",
        "position": "text",
        "implementation": "text",
        "verified": "boolean",
        "changed_on": "date",
    },
    key=("recommendation_id",),
    indexes=("(place_id, made_on)",),
)
_KEPT = ("kind", "text", "status", "position", "implementation", "verified")


class PlacesView(View):
    name = "places"
    tables: ClassVar[tuple[Table, ...]] = (PLACES, VISITS, RECOMMENDATIONS)

    @on("Place.Registered")
    def place_registered(self, fact: Fact, rows: Rows) -> None:
        data = fact.data
        rows.put(
            PLACES,
            {
                "place_id": str(fact.originator_id),
                "name": data["name"],
                "place_type": data["place_type"],
                "region": data.get("region"),
                "authority_id": data["authority_id"],
            },
        )

    @on("Place.ResponsibleAuthorityChanged")
    def place_moved(self, fact: Fact, rows: Rows) -> None:
        place = rows.get(PLACES, str(fact.originator_id))
        if place is not None:
            place["authority_id"] = fact.data["authority_id"]
            rows.put(PLACES, place)

    @on("Visit.Recorded")
    def visit_recorded(self, fact: Fact, rows: Rows) -> None:
        data = fact.data
        rows.put(
            VISITS,
            {
                "visit_id": str(fact.originator_id),
                "place_id": data["place_id"],
                "start_date": data["start_date"],
                "end_date": data["end_date"],
                "kind": data["kind"],
                "team": list(data.get("team") or ()),
            },
        )

    @on(*(f"Recommendation.{name}" for name in LABELS))
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        if fact.name == "Recommendation.Drafted":
            if not fact.data.get("place_id"):
                return
            row = {"recommendation_id": rec_id, "place_id": fact.data["place_id"]}
            row.update({k: INITIAL[k] for k in _KEPT})
            row["visit_id"] = fact.data.get("visit_id")
            row["made_on"] = fact.meta.get("business_date")
        else:
            found = rows.get(RECOMMENDATIONS, rec_id)
            if found is None:
                return
            row = found
        update = changes({**INITIAL, **row}, fact)
        for kept in _KEPT:
            if kept in update:
                row[kept] = update[kept]
        if "issued_on" in update:
            row["made_on"] = update["issued_on"]
        row["changed_on"] = fact.meta.get("business_date")
        rows.put(RECOMMENDATIONS, row)


class PlacesRecorder(ViewRecorder):
    view = PlacesView()


class PlacesProjection(ViewProjection):
    name = "places"
