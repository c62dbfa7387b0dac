"""Place history: per place of detention, its visits and the recommendations made about
it, with their outcomes, over time. Recommendations not tied to a place (thematic ones,
the annual report's) do not appear here. The query is `place_history`."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from projections.base import Rows, Table, View, on, update_row
from projections.events import Place, Recommendation, Visit
from projections.facts import Fact
from projections.views.reading import as_uuid, fetch
from projections.views.recommendation_fields import INITIAL, LABELS, changes

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


class KeepsPlaces:
    """The handlers of a view that keeps a row per place of detention in its table
    `places` (keyed by place_id, other columns named as Place.Registered's fields): this
    view, and the status view for a place's type and authority."""

    places: ClassVar[Table]

    @on(Place.Registered)
    def place_registered(self, fact: Fact, rows: Rows) -> None:
        rows.put(self.places, self.places.row_of(fact))

    @on(Place.ResponsibleAuthorityChanged)
    def place_moved(self, fact: Fact, rows: Rows) -> None:
        key = str(fact.originator_id)
        update_row(rows, self.places, key, authority_id=fact.data["authority_id"])


class PlacesView(KeepsPlaces, View):
    name = "places"
    tables: ClassVar[tuple[Table, ...]] = (PLACES, VISITS, RECOMMENDATIONS)
    places = PLACES

    @on(Visit.Recorded)
    def visit_recorded(self, fact: Fact, rows: Rows) -> None:
        rows.put(VISITS, VISITS.row_of(fact))

    @on(*LABELS)
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        if fact.is_a(Recommendation.Drafted):
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


# --- queries ---------------------------------------------------------------------------


def place_history(
    conn: psycopg.Connection[Any], schema: str, place_id: UUID | str
) -> dict[str, Any] | None:
    """A place, its visits and its recommendations with their outcomes, oldest first."""
    place_uuid = as_uuid("place_id", place_id)
    s = Identifier(schema)
    places = fetch(
        conn, SQL("SELECT * FROM {0}.places_places WHERE place_id = %s").format(s), [place_uuid]
    )
    if not places:
        return None
    place = places[0]
    place["visits"] = fetch(
        conn,
        SQL(
            "SELECT * FROM {0}.places_visits WHERE place_id = %s ORDER BY start_date, visit_id"
        ).format(s),
        [place_uuid],
    )
    recommendations = fetch(
        conn,
        SQL(
            "SELECT * FROM {0}.places_recommendations WHERE place_id = %s "
            "ORDER BY made_on, recommendation_id"
        ).format(s),
        [place_uuid],
    )
    place["recommendations"] = recommendations
    outcomes: dict[str, int] = {}
    for rec in recommendations:
        outcome = rec["implementation"] or rec["status"]
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    place["outcomes"] = outcomes
    return place
