"""Statistics by position and outcome: the figures compliance staff publish, each defined
once (FIGURES), for any year range and any filter the lists take, in all or broken down
by year, authority, theme, place type or kind.

The figures are read from the status view's row per recommendation (one aggregate
query, filtered on indexed columns); what that row does not keep, every follow-up
action's kind and every escalation's level, this view keeps as counters per
recommendation (ACTIONS). Only issued recommendations count: a draft was never made.
The year of a recommendation is the year it was issued.

Rates are computed from the counts, never stored: acceptance = (accepted + partially
accepted) / those with a position; implementation = implemented / issued.

Per recommending body: the status view does not record who recommended (an NPM, the
SPT, CAT, CPT), so rates come per authority, theme, place type and kind only. The
`source` filter applies once the status view has a `source` column (see SOURCE_COLUMN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Composable, Identifier

from domain.errors import InvalidInput
from domain.publication import PUBLISHABLE_FIELDS
from domain.values import ImplementationStatus, NonImplementationReason, Position
from projections.base import Rows, Table, View, on
from projections.events import Recommendation
from projections.facts import Fact
from projections.views.reading import as_uuid, fetch
from projections.views.status import RECOMMENDATIONS as STATUS

ACTIONS = Table(
    "statistics_actions",
    {"recommendation_id": "uuid", "action": "text", "detail": "text", "n": "int"},
    key=("recommendation_id", "action", "detail"),
)
FOLLOW_UP, ESCALATION = "follow_up", "escalation"


class StatisticsView(View):
    name = "statistics"
    tables: ClassVar[tuple[Table, ...]] = (ACTIONS,)

    @on(Recommendation.FollowUpRecorded)
    def follow_up(self, fact: Fact, rows: Rows) -> None:
        self._count(rows, str(fact.originator_id), FOLLOW_UP, str(fact.data["kind"]))

    @on(Recommendation.Escalated)
    def escalated(self, fact: Fact, rows: Rows) -> None:
        self._count(rows, str(fact.originator_id), ESCALATION, str(int(fact.data["level"])))

    @staticmethod
    def _count(rows: Rows, rec_id: str, action: str, detail: str) -> None:
        key = (rec_id, action, detail)
        counter = rows.get(ACTIONS, key)
        if counter is None:
            counter = {"recommendation_id": rec_id, "action": action, "detail": detail, "n": 0}
        counter["n"] += 1
        rows.put(ACTIONS, counter)


# --- the figures -------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One published figure: its key (the API's field), a person's words for it, its
    SQL aggregate over the matching issued recommendations `r` of the status view, and
    the fields it reads (by domain/publication.py's names: an outsider gets the figure
    only if every one of them is publishable)."""

    key: str
    label: str
    sql: str
    reads: tuple[str, ...]
    kind: Literal["count", "days"] = "count"


def _count_where(condition: str) -> str:
    return f"count(*) FILTER (WHERE {condition})"


_REPLY_DAYS = "(r.first_response_on - r.issued_on)"

_REPLY = ("issued_on", "reply_due", "first_response_on")


def replied_on_time(first_response_on: str | None, reply_due: str | None) -> bool:
    """The "replied_on_time" figure's rule for one recommendation, for the views that
    keep it as a counter (the scorecard): the same condition as its SQL below (a reply
    with no due date, as in a report not yet sent, is on time)."""
    return first_response_on is not None and (reply_due is None or first_response_on <= reply_due)


ACCEPTING = (Position.ACCEPTED.value, Position.PARTIALLY_ACCEPTED.value)
"""The positions the acceptance rate counts as accepting."""

FIGURES: tuple[Figure, ...] = (
    Figure("issued", "Issued", "count(*)", ("issued_on",)),
    Figure(
        "replied_on_time",
        "Replied on time",
        _count_where(
            "r.first_response_on IS NOT NULL"
            " AND (r.reply_due IS NULL OR r.first_response_on <= r.reply_due)"
        ),
        _REPLY,
    ),
    Figure(
        "replied_late", "Replied late", _count_where("r.first_response_on > r.reply_due"), _REPLY
    ),
    Figure("not_replied", "Not replied", _count_where("r.first_response_on IS NULL"), _REPLY),
    Figure(
        "average_reply_days",
        "Average days to reply",
        f"round(avg({_REPLY_DAYS}), 1)::float8",
        _REPLY,
        "days",
    ),
    Figure(
        "median_reply_days",
        "Median days to reply",
        f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {_REPLY_DAYS})",
        _REPLY,
        "days",
    ),
    *(
        Figure(
            p.value,
            p.value.replace("_", " ").capitalize(),
            _count_where(f"r.position = '{p}'"),
            ("position",),
        )
        for p in Position
    ),
    *(
        Figure(
            s.value,
            s.value.replace("_", " ").capitalize(),
            _count_where(f"r.implementation = '{s}'"),
            ("implementation",),
        )
        for s in ImplementationStatus
    ),
    *(
        Figure(
            f"not_implemented_{reason.value}",
            f"Not implemented: {reason.value.replace('_', ' ')}",
            _count_where(
                f"r.implementation = 'not_implemented' AND r.non_implementation_reason = '{reason}'"
            ),
            ("implementation", "non_implementation_reason"),
        )
        for reason in NonImplementationReason
    ),
    Figure("verified", "Verified by the NPM", _count_where("r.verified"), ("verified",)),
    Figure(
        "repeated",
        "Repeating an earlier recommendation",
        _count_where("r.repeats_id IS NOT NULL"),
        ("repeats_id",),
    ),
)
"""Every figure, in the order of the tables. One definition each: the API, the annual
report pack and the web UI all read these."""

FIGURE_BY_KEY = {f.key: f for f in FIGURES}

PUBLISHED_FIGURES: tuple[Figure, ...] = tuple(
    f for f in FIGURES if set(f.reads) <= PUBLISHABLE_FIELDS
)
"""The figures an outsider (an authority's liaison) gets: those read from publishable
fields only. The follow-up actions and escalations (internal events) are not among them."""

RATES: dict[str, str] = {
    "acceptance_rate": "Acceptance rate (accepted or partially, of those with a position)",
    "implementation_rate": "Implementation rate (implemented, of issued)",
}


def rates(row: dict[str, Any]) -> dict[str, float | None]:
    """The rates of one row of figures, in per cent to one decimal (None: nothing to
    divide by)."""
    positioned = sum(row[p.value] for p in Position)
    accepted = sum(row[p] for p in ACCEPTING)
    return {
        "acceptance_rate": percent(accepted, positioned),
        "implementation_rate": percent(row[ImplementationStatus.IMPLEMENTED.value], row["issued"]),
    }


def percent(part: int, whole: int) -> float | None:
    """A rate in per cent to one decimal (None: nothing to divide by); every rate of
    the statistics and the scorecard."""
    return round(100.0 * part / whole, 1) if whole else None


# --- filters and breakdowns --------------------------------------------------------------

SOURCE_COLUMN = "source"
"""The status view column the `source` filter reads, once the view has it."""

Breakdown = Literal["year", "authority", "theme", "place_type", "kind"]
BREAKDOWNS: dict[str, str] = {
    "year": "r.year::text",
    "authority": "r.authority_id::text",
    "theme": "theme.value",
    "place_type": "r.place_type",
    "kind": "r.kind",
}
BREAKDOWN_READS: dict[str, str] = {
    "year": "year",
    "authority": "authority_id",
    "theme": "themes",
    "place_type": "place_type",
    "kind": "kind",
}
"""The field each breakdown groups by (tags are internal: no theme breakdown outward)."""


@dataclass(frozen=True)
class Filters:
    """Which issued recommendations count: a year range (of issue) and the lists' filters."""

    year_from: int | None = None
    year_to: int | None = None
    authority_id: UUID | str | None = None
    place_id: UUID | str | None = None
    theme: str | None = None
    place_type: str | None = None
    kind: str | None = None
    source: str | None = None
    #: count nothing (an outsider asking about what it may not see gets zeros)
    nothing: bool = False

    def where(self) -> tuple[Composable, list[Any]]:
        where: list[Composable] = [SQL("r.issued_on IS NOT NULL")]
        params: list[Any] = []
        if self.nothing:
            where.append(SQL("false"))
        if (
            self.year_from is not None
            and self.year_to is not None
            and self.year_from > self.year_to
        ):
            raise InvalidInput("year_from", "must not be after year_to")
        if self.year_from is not None:
            where.append(SQL("r.year >= %s"))
            params.append(self.year_from)
        if self.year_to is not None:
            where.append(SQL("r.year <= %s"))
            params.append(self.year_to)
        for column, value in (
            ("authority_id", as_uuid("authority_id", self.authority_id)),
            ("place_id", as_uuid("place_id", self.place_id)),
            ("place_type", self.place_type),
            ("kind", self.kind),
        ):
            if value is not None:
                where.append(SQL("r.{0} = %s").format(Identifier(column)))
                params.append(value)
        if self.theme is not None:
            where.append(SQL("r.themes @> ARRAY[%s]::text[]"))
            params.append(self.theme.strip().lower())
        if self.source is not None:
            if SOURCE_COLUMN not in STATUS.columns:
                raise InvalidInput("source", "is not recorded for recommendations yet")
            where.append(SQL("r.{0} = %s").format(Identifier(SOURCE_COLUMN)))
            params.append(self.source)
        return SQL(" AND ").join(where), params


_FIGURE_COLUMNS = SQL(", ").join(
    SQL("{0} AS {1}").format(SQL(f.sql), Identifier(f.key))  # type: ignore[arg-type]
    for f in FIGURES
)


def _normalised(row: dict[str, Any]) -> dict[str, Any]:
    for figure in FIGURES:
        value = row.get(figure.key)
        if figure.kind == "count":
            row[figure.key] = int(value or 0)
        elif value is not None:
            row[figure.key] = round(float(value), 1)
    row.update(rates(row))
    return row


def figures(
    conn: psycopg.Connection[Any],
    schema: str,
    filters: Filters,
    *,
    by: Breakdown | None = None,
) -> list[dict[str, Any]]:
    """Every figure for the recommendations `filters` select: one row in all (by None),
    else one row per group (`group`, and `name`: the authority's name, else the group),
    largest first. A recommendation with two themes counts under each."""
    condition, params = filters.where()
    s = Identifier(schema)
    source = SQL("{0}.status_recommendations r").format(s)
    if by is None:
        query = SQL("SELECT {0} FROM {1} WHERE {2}").format(_FIGURE_COLUMNS, source, condition)
        return [_normalised(row) for row in fetch(conn, query, params, prepare=False)]
    if by not in BREAKDOWNS:
        raise InvalidInput("by", f"must be one of {', '.join(BREAKDOWNS)}")
    if by == "theme":
        source = source + SQL(" CROSS JOIN LATERAL unnest(r.themes) AS theme(value)")
    group = SQL(BREAKDOWNS[by])  # type: ignore[arg-type]
    query = SQL("SELECT {0} AS group, {1} FROM {2} WHERE {3} GROUP BY 1 ORDER BY 2 DESC, 1").format(
        group, _FIGURE_COLUMNS, source, condition
    )
    rows = [_normalised(row) for row in fetch(conn, query, params, prepare=False)]
    names = _authority_names(conn, schema) if by == "authority" else {}
    for row in rows:
        row["name"] = names.get(row["group"], row["group"]) if by == "authority" else row["group"]
    return rows


def _authority_names(conn: psycopg.Connection[Any], schema: str) -> dict[str, str]:
    found = fetch(
        conn,
        SQL("SELECT authority_id::text AS id, name FROM {0}.status_authorities").format(
            Identifier(schema)
        ),
        [],
    )
    return {r["id"]: r["name"] for r in found}


def actions(
    conn: psycopg.Connection[Any], schema: str, filters: Filters
) -> dict[str, dict[str, int]]:
    """Follow-up actions by kind and escalations by level, for the recommendations
    `filters` select: {"follow_up": {kind: n}, "escalation": {level: n}}."""
    condition, params = filters.where()
    rows = fetch(
        conn,
        SQL(
            "SELECT a.action, a.detail, sum(a.n)::int AS n FROM {0}.statistics_actions a"
            " JOIN {0}.status_recommendations r ON r.recommendation_id = a.recommendation_id"
            " WHERE {1} GROUP BY 1, 2 ORDER BY 1, 2"
        ).format(Identifier(schema), condition),
        params,
        prepare=False,
    )
    found: dict[str, dict[str, int]] = {FOLLOW_UP: {}, ESCALATION: {}}
    for row in rows:
        found[row["action"]][row["detail"]] = row["n"]
    return found


def statistics(
    conn: psycopg.Connection[Any],
    schema: str,
    filters: Filters,
    *,
    by: Breakdown | None = None,
) -> dict[str, Any]:
    """The totals, follow-ups by kind, escalations by level and, when `by` is given, the
    same figures per group: what GET /stats/figures answers."""
    counted = actions(conn, schema, filters)
    return {
        "totals": figures(conn, schema, filters)[0],
        "follow_ups": counted[FOLLOW_UP],
        "escalations": counted[ESCALATION],
        "groups": figures(conn, schema, filters, by=by) if by is not None else [],
    }


def published(found: dict[str, Any]) -> dict[str, Any]:
    """`statistics()`'s answer as an outsider may see it: only the published figures and
    rates; not the follow-up actions or escalations (internal events)."""
    keys = {f.key for f in PUBLISHED_FIGURES} | set(RATES) | {"group", "name"}

    def only(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if k in keys}

    return {"totals": only(found["totals"]), "groups": [only(g) for g in found["groups"]]}


def years_of(conn: psycopg.Connection[Any], schema: str) -> list[int]:
    """The years in which recommendations were issued, oldest first."""
    rows = fetch(
        conn,
        SQL(
            "SELECT DISTINCT year FROM {0}.status_recommendations"
            " WHERE issued_on IS NOT NULL ORDER BY year"
        ).format(Identifier(schema)),
        [],
    )
    return [int(r["year"]) for r in rows]
