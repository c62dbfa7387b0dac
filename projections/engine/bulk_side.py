"""The rebuild's fold for the two views that keep a little per recommendation beside
the others: the statistics view's action counters and the public register's replies.

Their handlers take a few recommendation events each (a follow-up, an escalation, a
reply, a publication), about a third of a large log. Run as handlers in a rebuild, each
such event cost a `Fact`, a UUID, a dispatch and a read and write of an in-memory row;
here engine/bulk.py's `RecommendationFold` hands them over with the event's 16-byte id
and its decoded data, and the rows are written once at the end. Each rule mirrors its
handler (projections/views/statistics.py, projections/views/register.py);
tests/projections/test_bulk.py compares every table with the handlers'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
from eventsourcing.utils import get_topic

from domain.publication import published_data
from projections.base import Row, Table
from projections.engine.copytext import copy_rows, uuid_text
from projections.events import Recommendation
from projections.views import register, statistics

SIDE_VIEWS = frozenset({"statistics", "register"})
"""Views whose recommendation events this module handles in a rebuild."""

SideRule = Callable[[bytes, int, dict[str, Any], Any], None]


class SideFold:
    """`rules` maps the topics the folded views take to a rule called with (16-byte
    id, version, data, business date); `write()` writes the rows into the views' empty
    tables."""

    def __init__(self, views: frozenset[str]) -> None:
        self.views = views & SIDE_VIEWS
        self.actions: dict[tuple[bytes, str, str], int] = {}
        self.escalations: list[Row] = []
        self.published: dict[bytes, Row] = {}
        self.rules: dict[str, SideRule] = {}
        if "statistics" in self.views:
            self.rules[get_topic(Recommendation.FollowUpRecorded)] = self._follow_up
            self.rules[get_topic(Recommendation.Escalated)] = self._escalated
        if "register" in self.views:
            self.rules[get_topic(Recommendation.ResponseReceived)] = self._responded
            self.rules[get_topic(Recommendation.Published)] = self._published

    def _count(self, key: tuple[bytes, str, str]) -> None:
        self.actions[key] = self.actions.get(key, 0) + 1

    # StatisticsView.follow_up and .escalated: a counter per action and detail.
    def _follow_up(self, rec_id: bytes, version: int, data: dict[str, Any], day: Any) -> None:
        self._count((rec_id, statistics.FOLLOW_UP, str(data["kind"])))

    def _escalated(self, rec_id: bytes, version: int, data: dict[str, Any], day: Any) -> None:
        self._count((rec_id, statistics.ESCALATION, str(int(data["level"]))))
        self.escalations.append(statistics.escalation_row(uuid_text(rec_id), version, data))

    # RegisterView: a row once replied to or published.
    def _row(self, rec_id: bytes) -> Row:
        row = self.published.get(rec_id)
        if row is None:
            row = self.published[rec_id] = {"published_on": None, "responses": []}
        return row

    def _responded(self, rec_id: bytes, version: int, data: dict[str, Any], day: Any) -> None:
        response = published_data("ResponseReceived", data)
        response.setdefault("agreed_implementation_date", None)  # version 1 had none
        self._row(rec_id)["responses"].append(response)

    def _published(self, rec_id: bytes, version: int, data: dict[str, Any], day: Any) -> None:
        self._row(rec_id)["published_on"] = day

    def tables(self) -> list[Table]:
        by_view = {
            "statistics": [statistics.ACTIONS, statistics.ESCALATIONS],
            "register": [register.PUBLISHED],
        }
        return [table for view in sorted(self.views) for table in by_view[view]]

    def write(self, conn: psycopg.Connection[Any], schema: str, *, freeze: bool = True) -> None:
        """COPY the rows into the views' tables, created empty in `conn`'s transaction
        (`freeze`), or committed already (a split fold's part)."""
        if "statistics" in self.views:
            rows = [
                {"recommendation_id": uuid_text(k), "action": a, "detail": d, "n": n}
                for (k, a, d), n in self.actions.items()
            ]
            copy_rows(conn, schema, statistics.ACTIONS, rows, freeze=freeze)
            copy_rows(conn, schema, statistics.ESCALATIONS, self.escalations, freeze=freeze)
        if "register" in self.views:
            rows = [{"recommendation_id": uuid_text(k), **row} for k, row in self.published.items()]
            copy_rows(conn, schema, register.PUBLISHED, rows, freeze=freeze)
