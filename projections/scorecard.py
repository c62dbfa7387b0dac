"""Authority scorecard: per authority and year of issue, how the authority answered.

The view keeps one narrow row of scorecard facts per recommendation; the figures
(issued, replied, replied on time, median days to reply, accepted, implemented and
verified, overdue now) are aggregated by projections/queries.py. A median cannot be kept
as a running counter, and "overdue now" depends on today, so both are computed on read
from these rows, which an index on (year, authority) keeps small per question."""

from __future__ import annotations

from typing import ClassVar

from projections.base import Rows, Table, View, ViewProjection, ViewRecorder, on
from projections.facts import Fact
from projections.recommendation_fields import INITIAL, LABELS, changes

FACTS = Table(
    "scorecard_recommendations",
    {
        "recommendation_id": "uuid",
        "authority_id": "uuid",
        "year": "int",
        "status": "text",
        "issued_on": "date",
        "reply_due": "date",
        "first_response_on": "date",
        "replied_on_time": "boolean",
        "position": "text",
        "implementation": "text",
        "verified": "boolean",
    },
    key=("recommendation_id",),
    indexes=("(year, authority_id)", "(authority_id, reply_due) WHERE status = 'issued'"),
)
AUTHORITIES = Table(
    "scorecard_authorities", {"authority_id": "uuid", "name": "text"}, key=("authority_id",)
)

_KEPT = ("status", "issued_on", "reply_due", "first_response_on", "position", "implementation")


class ScorecardView(View):
    name = "scorecard"
    tables: ClassVar[tuple[Table, ...]] = (FACTS, AUTHORITIES)

    @on(*(f"Recommendation.{name}" for name in LABELS))
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        row = rows.get(FACTS, rec_id)
        if row is None:
            row = {"recommendation_id": rec_id, "replied_on_time": None, "verified": False}
            for kept in _KEPT:
                row[kept] = INITIAL[kept]
        # changes() reads a few counters this view does not keep; they never matter here.
        state = {**INITIAL, **row}
        update = changes(state, fact)
        if not update:
            return
        if fact.name == "Recommendation.Drafted":
            row["authority_id"] = update["authority_id"]
        for kept in _KEPT:
            if kept in update:
                row[kept] = update[kept]
        if "verified" in update:
            row["verified"] = update["verified"]
        if "first_response_on" in update and row["reply_due"] is not None:
            row["replied_on_time"] = update["first_response_on"] <= row["reply_due"]
        row["year"] = int(row["issued_on"][:4]) if row["issued_on"] else None
        rows.put(FACTS, row)

    @on("Authority.Registered", "Authority.Renamed")
    def authority_named(self, fact: Fact, rows: Rows) -> None:
        rows.put(AUTHORITIES, {"authority_id": str(fact.originator_id), "name": fact.data["name"]})


class ScorecardRecorder(ViewRecorder):
    view = ScorecardView()


class ScorecardProjection(ViewProjection):
    name = "scorecard"
