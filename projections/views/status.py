"""Recommendation status: one row per recommendation with every factual and analytical
field of DESIGN.md, its status, reply due date, escalation level, last action and the
authority's next obligation; and the lists read from it (recommendations, authorities,
places, reports).

"Overdue" is relative to `today` (default: the date today): a recommendation is overdue
when the authority's next obligation (its reply while none came, else the agreed
implementation date until implemented) falls before today. Today is never stored: the
row keeps the due date (`due_on`), and a partial index on it finds what is past due, so
the row need not be rewritten every day.

A list's total is exact up to COUNT_CAP matches and then stops counting (a `Total` whose
`exact` is False): counting every one of 100,000 matches costs more than the page itself,
and a person paging through a list needs "more than 10,000", not the exact figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Composable, Identifier

from domain.errors import InvalidInput
from domain.recommendation_rules import OPEN
from domain.values import ImplementationStatus
from projections.base import Rows, Table, View, on
from projections.events import Authority, Recommendation, Report
from projections.facts import Fact
from projections.views.places import KeepsPlaces
from projections.views.reading import as_uuid, fetch
from projections.views.recommendation_fields import (
    HISTORIC,
    LABEL_BY_TOPIC,
    LABELS,
    blank,
    changes,
    obligation_due,
    year_of,
)

CLOSED = get_topic(Recommendation.Closed)

RECOMMENDATIONS = Table(
    "status_recommendations",
    {
        "recommendation_id": "uuid",
        "reference": "text",
        "external_id": "text",
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
        # the reason given with the latest closure (the export's closure_reason)
        "closure_reason": "text",
        "last_action": "text",
        "last_action_on": "date",
        "last_actor": "text",
        "next_action": "text",
        "due_on": "date",
        "version": "int",
        "source": "text",
        "recommending_bodies": "text[]",
        "session": "text",
        "cycle": "text",
        "sdgs": "text[]",
        "historic_before": "date",
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
        "(upper(reference) text_pattern_ops) WHERE reference IS NOT NULL",
        "(external_id) WHERE external_id IS NOT NULL",
        "(source, made_on DESC, recommendation_id) WHERE source IS NOT NULL",
        # None on recommending_bodies or sdgs: their filters look inside each element
        # (lower(body) =, a goal's targets by LIKE), which no GIN index answers; the
        # planner walks the made_on index either way (EXPLAIN on bench-projections' store).
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


class StatusView(KeepsPlaces, View):
    name = "status"
    tables: ClassVar[tuple[Table, ...]] = (RECOMMENDATIONS, AUTHORITIES, PLACES, REPORTS)
    places = PLACES

    @on(*LABELS)
    def recommendation_event(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        row = rows.get(RECOMMENDATIONS, rec_id)
        if row is None:
            row = {"recommendation_id": rec_id, **blank()}
        row.update(changes(row, fact))
        if fact.is_a(Recommendation.Drafted) and row["place_id"]:
            place = rows.get(PLACES, row["place_id"])
            row["place_type"] = place["place_type"] if place else None
        meta = fact.meta
        row["made_on"] = row["issued_on"] or row["drafted_on"]
        row["year"] = year_of(row)
        row["last_action"] = LABEL_BY_TOPIC[fact.topic]
        row["last_action_on"] = meta.get("business_date")
        row["last_actor"] = meta.get("actor_id")
        row["next_action"], row["due_on"] = obligation_due(row)
        row["version"] = fact.version
        if fact.topic == CLOSED:
            row["closure_reason"] = meta.get("reason")
        else:
            row.setdefault("closure_reason", None)
        rows.put(RECOMMENDATIONS, row)

    @on(Authority.Registered, Authority.Renamed)
    def authority_named(self, fact: Fact, rows: Rows) -> None:
        rows.put(AUTHORITIES, AUTHORITIES.row_of(fact))

    @on(Report.Registered)
    def report_registered(self, fact: Fact, rows: Rows) -> None:
        rows.put(REPORTS, REPORTS.row_of(fact))


# --- queries ---------------------------------------------------------------------------


MAX_LIMIT = 500
COUNT_CAP = 10_000
#: a text search matching at most this many is read by its matches, sorted (the page of
#: a walk down the made_on index reads ~155,000 x 50 / matches rows: more, below ~2,800)
SORTED_SEARCH = 2_000


class Total(int):
    """How many rows match: an int, exact when `exact`, else a lower bound (COUNT_CAP:
    at least that many match). Compares and serialises as the plain int."""

    exact: bool

    def __new__(cls, value: int, exact: bool = True) -> Total:
        total = super().__new__(cls, value)
        total.exact = exact
        return total

    def __repr__(self) -> str:
        return f"Total({int(self)}, exact={self.exact})"


def _like_prefix(value: str) -> str:
    """A LIKE pattern matching references that start with `value` (any case)."""
    escaped = value.strip().upper().replace("\\", "\\\\").replace("%", "\\%")
    return escaped.replace("_", "\\_") + "%"


def _with_overdue(row: dict[str, Any], today: date) -> dict[str, Any]:
    due: date | None = row.get("due_on")
    overdue = due is not None and due < today
    row["overdue"] = overdue
    row["days_overdue"] = (today - due).days if due is not None and overdue else 0
    row["historic"] = row.get("next_action") == HISTORIC
    return row


_STATUS_COLUMNS = SQL(
    "r.*, a.name AS authority_name, p.name AS place_name, rp.title AS report_title, "
    "rp.link AS report_link"
)


def _status_from(schema: str, rows: Composable | None = None) -> Composable:
    """The status rows `r` (`rows`: those of a CTE instead) with their names joined."""
    return SQL(
        "{1} r "
        "LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id "
        "LEFT JOIN {0}.status_places p ON p.place_id = r.place_id "
        "LEFT JOIN {0}.status_reports rp ON rp.report_id = r.report_id"
    ).format(
        Identifier(schema), rows or SQL("{0}.status_recommendations").format(Identifier(schema))
    )


@dataclass(frozen=True)
class ListFilters:
    """What a list of recommendations is narrowed to (every filter combines with AND):
    the list's page and its export (projections/views/export_rows.py) read the same.
    `issued_only`: only recommendations that have been issued (never a draft, nor one
    withdrawn before issue), as an authority's liaison sees them."""

    status: str | None = None
    authority_id: UUID | str | None = None
    place_id: UUID | str | None = None
    place_type: str | None = None
    theme: str | None = None
    keyword: str | None = None
    group: str | None = None
    kind: str | None = None
    source: str | None = None
    body: str | None = None
    sdg: str | None = None
    year: int | None = None
    overdue: bool | None = None
    #: still open: issued, answered or assessed, and not implemented (what a visit team
    #: follows up); listed oldest first
    open: bool | None = None
    q: str | None = None
    reference: str | None = None
    issued_only: bool = False

    def where(self, today: date) -> tuple[Composable, list[Any]]:
        """The SQL condition on the status view's rows `r` (empty: every row)."""
        where: list[Composable] = []
        params: list[Any] = []

        def equals(column: str, value: Any) -> None:
            where.append(SQL("r.{0} = %s").format(Identifier(column)))
            params.append(value)

        if self.status is not None:
            equals("status", self.status)
        if self.issued_only:
            where.append(SQL("r.issued_on IS NOT NULL"))
        if self.authority_id is not None:
            equals("authority_id", as_uuid("authority_id", self.authority_id))
        if self.place_id is not None:
            equals("place_id", as_uuid("place_id", self.place_id))
        if self.place_type is not None:
            equals("place_type", self.place_type)
        if self.kind is not None:
            equals("kind", self.kind)
        if self.source is not None:
            equals("source", self.source)
        if self.body is not None:
            # a recommending body by its name as recorded (any case)
            where.append(
                SQL("EXISTS (SELECT 1 FROM unnest(r.recommending_bodies) b WHERE lower(b) = %s)")
            )
            params.append(" ".join(self.body.split()).lower())
        if self.sdg is not None:
            # a goal (16) finds its targets too (16.3); a target only itself
            where.append(
                SQL(
                    "(r.sdgs @> ARRAY[%s]::text[]"
                    " OR EXISTS (SELECT 1 FROM unnest(r.sdgs) g WHERE g LIKE %s))"
                )
            )
            params += [self.sdg, f"{self.sdg}.%" if "." not in self.sdg else self.sdg]
        if self.year is not None:
            equals("year", self.year)
        for column, value in (
            ("themes", self.theme),
            ("keywords", self.keyword),
            ("vulnerable_groups", self.group),
        ):
            if value is not None:
                where.append(SQL("r.{0} @> ARRAY[%s]::text[]").format(Identifier(column)))
                params.append(value.strip().lower())
        if self.overdue is True:
            where.append(SQL("r.due_on < %s"))
            params.append(today)
        elif self.overdue is False:
            where.append(SQL("(r.due_on IS NULL OR r.due_on >= %s)"))
            params.append(today)
        if self.open is not None:
            still_open = SQL(
                "(r.status = ANY(%s) AND r.implementation IS DISTINCT FROM %s)"
                if self.open
                else "NOT (r.status = ANY(%s) AND r.implementation IS DISTINCT FROM %s)"
            )
            where.append(still_open)
            params += [sorted(s.value for s in OPEN), ImplementationStatus.IMPLEMENTED.value]
        if self.reference is not None and self.reference.strip():
            # the whole reference, or its start (NPM-2024- lists that year's)
            where.append(SQL("upper(r.reference) LIKE %s"))
            params.append(_like_prefix(self.reference))
        if self.q is not None and self.q.strip():
            # words of the text, or a reference or external id (whole or its start)
            where.append(
                SQL(
                    "(to_tsvector('simple', r.text) @@ plainto_tsquery('simple', %s)"
                    " OR upper(r.reference) LIKE %s OR r.external_id = %s)"
                )
            )
            params += [self.q, _like_prefix(self.q), self.q.strip()]
        condition = SQL(" WHERE ") + SQL(" AND ").join(where) if where else SQL("")
        return condition, params

    @property
    def searches(self) -> bool:
        return self.q is not None and bool(self.q.strip())

    def order(self) -> Composable:
        """The overdue list comes most overdue first, the open list oldest first, any
        other newest first."""
        if self.overdue:
            return SQL(" ORDER BY r.due_on, r.recommendation_id")
        if self.open:
            return SQL(" ORDER BY r.made_on, r.recommendation_id")
        return SQL(" ORDER BY r.made_on DESC, r.recommendation_id")


def list_recommendations(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
    **filters: Any,
) -> tuple[list[dict[str, Any]], Total]:
    """One page of the status view, narrowed by `filters` (the fields of ListFilters);
    and how many rows match in all (a `Total`: an int, exact up to COUNT_CAP, else
    COUNT_CAP with `total.exact` False). The overdue list (overdue=True) comes most
    overdue first, anything else newest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", "must be between 1 and {count}", count=MAX_LIMIT)
    if offset < 0:
        raise InvalidInput("offset", "must not be negative")
    today = today or date.today()
    narrowed = ListFilters(**filters)
    condition, params = narrowed.where(today)
    # A text search is counted first: the planner takes any search to match ~1 % of the
    # rows, so for a page it walks the made_on index, filtering every row on the way,
    # all 155,000 when none match (1-4 s). One that matches few (SORTED_SEARCH) reads
    # its matches by the indexes (text, reference, external id: one BitmapOr) and sorts
    # them; none: no page to read; more: the walk, which finds a page soon enough.
    total = _counted_total(conn, schema, condition, params) if narrowed.searches else None
    if total is not None and total.exact and total <= offset:
        return [], total
    if total is not None and total <= SORTED_SEARCH:
        query = SQL(
            "WITH m AS MATERIALIZED (SELECT * FROM {0}.status_recommendations r{1}) "
            "SELECT {2} FROM {3}"
        ).format(Identifier(schema), condition, _STATUS_COLUMNS, _status_from(schema, SQL("m")))
    else:
        query = SQL("SELECT {0} FROM {1}").format(_STATUS_COLUMNS, _status_from(schema)) + condition
    items = fetch(
        conn,
        query + narrowed.order() + SQL(" LIMIT %s OFFSET %s"),
        [*params, limit, offset],
        # Never a prepared statement: after five runs PostgreSQL may settle on a generic
        # plan, and which index suits a list depends on the values (how many rows an
        # authority, a theme or a year has).
        prepare=False,
    )
    if total is None and offset == 0 and len(items) < limit:
        total = Total(len(items))
    if total is None:
        total = _counted_total(conn, schema, condition, params)
    return [_with_overdue(row, today) for row in items], total


def _counted_total(
    conn: psycopg.Connection[Any], schema: str, condition: Composable, params: list[Any]
) -> Total:
    counted = fetch(
        conn,
        SQL("SELECT count(*) AS n FROM (SELECT 1 FROM {0}.status_recommendations r").format(
            Identifier(schema)
        )
        + condition
        + SQL(" LIMIT %s) matches"),
        [*params, COUNT_CAP + 1],
        prepare=False,
    )
    n = int(counted[0]["n"])
    return Total(n) if n <= COUNT_CAP else Total(COUNT_CAP, exact=False)


def get_recommendation_status(
    conn: psycopg.Connection[Any],
    schema: str,
    recommendation_id: UUID | str,
    *,
    today: date | None = None,
) -> dict[str, Any] | None:
    rows = fetch(
        conn,
        SQL("SELECT {0} FROM {1} WHERE r.recommendation_id = %s").format(
            _STATUS_COLUMNS, _status_from(schema)
        ),
        [as_uuid("recommendation_id", recommendation_id)],
    )
    return _with_overdue(rows[0], today or date.today()) if rows else None
