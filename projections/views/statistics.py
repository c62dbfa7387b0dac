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

By source (the mechanism: NPM, SPT, UPR...) and per recommending body (a UPR
recommendation made by several states counts under each, as one with two themes
counts under each theme), from the status view's `source` and `recommending_bodies`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Composable, Identifier

from domain.errors import InvalidInput
from projections.base import Rows, Table, View, on
from projections.events import Recommendation
from projections.facts import Fact
from projections.views.figures import FIGURES, PUBLISHED_FIGURES, RATES, rates
from projections.views.reading import as_uuid, fetch
from projections.views.statistics_cells import THEME, Cube, cube_for
from projections.views.statistics_cells import usable as cells_usable
from projections.views.status import RECOMMENDATIONS as STATUS

ACTIONS = Table(
    "statistics_actions",
    {"recommendation_id": "uuid", "action": "text", "detail": "text", "n": "int"},
    key=("recommendation_id", "action", "detail"),
    by_aggregate=True,
)
FOLLOW_UP, ESCALATION = "follow_up", "escalation"
ESCALATIONS = Table(
    "statistics_escalations",
    {
        "recommendation_id": "uuid",
        "version": "int",
        "business_date": "date",
        "level": "int",
        "action": "text",
        "addressee": "text",
    },
    key=("recommendation_id", "version"),
    indexes=("(business_date)",),
)
"""Every escalation, one row each (few): the compliance staff's weekly digest lists the
week's (workflows/digests.py)."""


class StatisticsView(View):
    name = "statistics"
    tables: ClassVar[tuple[Table, ...]] = (ACTIONS, ESCALATIONS)

    @on(Recommendation.FollowUpRecorded)
    def follow_up(self, fact: Fact, rows: Rows) -> None:
        self._count(rows, str(fact.originator_id), FOLLOW_UP, str(fact.data["kind"]))

    @on(Recommendation.Escalated)
    def escalated(self, fact: Fact, rows: Rows) -> None:
        rec_id = str(fact.originator_id)
        self._count(rows, rec_id, ESCALATION, str(int(fact.data["level"])))
        rows.add(ESCALATIONS, escalation_row(rec_id, fact.version, fact.data))

    @staticmethod
    def _count(rows: Rows, rec_id: str, action: str, detail: str) -> None:
        key = (rec_id, action, detail)
        counter = rows.get(ACTIONS, key)
        if counter is None:
            counter = {"recommendation_id": rec_id, "action": action, "detail": detail, "n": 0}
        counter["n"] += 1
        rows.put(ACTIONS, counter)


def escalation_row(rec_id: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """An escalation's row: its business date, level, action and addressee."""
    return {
        "recommendation_id": rec_id,
        "version": version,
        "business_date": (data.get("meta") or {}).get("business_date"),
        "level": int(data["level"]),
        "action": data.get("action"),
        "addressee": data.get("addressee"),
    }


# --- filters and breakdowns --------------------------------------------------------------

SOURCE_COLUMN = "source"
"""The status view column the `source` filter reads, once the view has it."""

Breakdown = Literal[
    "year", "authority", "theme", "place_type", "kind", "source", "recommending_body"
]
BREAKDOWNS: dict[str, str] = {
    "year": "r.year::text",
    "authority": "r.authority_id::text",
    "theme": "theme.value",
    "place_type": "r.place_type",
    "kind": "r.kind",
    "source": "r.source",
    "recommending_body": "body.value",
}
_UNNESTED = {
    "theme": " CROSS JOIN LATERAL unnest(r.themes) AS theme(value)",
    "recommending_body": " CROSS JOIN LATERAL unnest(r.recommending_bodies) AS body(value)",
}
#: The same groups read from the statistics cells (projections/views/statistics_cells.py).
CELL_BREAKDOWNS: dict[str, str] = {
    "year": "c.year::text",
    "authority": "c.authority_id::text",
    "theme": "c.theme",
    "place_type": "c.place_type",
    "kind": "c.kind",
    "source": "c.source",
    "recommending_body": "c.recommending_body",
}
BREAKDOWN_READS: dict[str, str] = {
    "year": "year",
    "authority": "authority_id",
    "theme": "themes",
    "place_type": "place_type",
    "kind": "kind",
    "source": "source",
    "recommending_body": "recommending_bodies",
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

    def where(self, *, cells: bool = False) -> tuple[Composable, list[Any]]:
        """The condition on the status rows `r`, or (cells) on statistics cells `c`,
        which hold issued recommendations only and are keyed by theme where they have
        a theme."""
        alias = "c" if cells else "r"
        where: list[Composable] = [SQL("true" if cells else "r.issued_on IS NOT NULL")]
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
            where.append(SQL(f"{alias}.year >= %s"))  # type: ignore[arg-type]
            params.append(self.year_from)
        if self.year_to is not None:
            where.append(SQL(f"{alias}.year <= %s"))  # type: ignore[arg-type]
            params.append(self.year_to)
        for column, value in (
            ("authority_id", as_uuid("authority_id", self.authority_id)),
            ("place_id", as_uuid("place_id", self.place_id)),
            ("place_type", self.place_type),
            ("kind", self.kind),
        ):
            if value is not None:
                where.append(SQL("{0}.{1} = %s").format(Identifier(alias), Identifier(column)))
                params.append(value)
        if self.theme is not None:
            theme = self.theme.strip().lower()
            where.append(SQL("c.theme = %s" if cells else "r.themes @> ARRAY[%s]::text[]"))
            params.append(theme)
        if self.source is not None:
            if SOURCE_COLUMN not in STATUS.columns:
                raise InvalidInput("source", "is not recorded for recommendations yet")
            where.append(SQL("{0}.{1} = %s").format(Identifier(alias), Identifier(SOURCE_COLUMN)))
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


def _cube(filters: Filters, by: Breakdown | None) -> Cube | None:
    """The smallest cube of statistics cells that answers this question, or None: ask
    the views themselves (one place; one theme broken down by theme)."""
    if filters.place_id is not None or (filters.theme is not None and by == "theme"):
        return None
    needed = {
        dimension
        for dimension, given in (
            ("year", filters.year_from is not None or filters.year_to is not None),
            ("authority_id", filters.authority_id is not None),
            ("place_type", filters.place_type is not None),
            ("kind", filters.kind is not None),
            (SOURCE_COLUMN, filters.source is not None),
            (THEME, filters.theme is not None),
        )
        if given
    }
    if by is not None:
        needed.add({"authority": "authority_id", "theme": THEME}.get(by, by))
    return cube_for(needed)


def _figures_from_cells(
    conn: psycopg.Connection[Any],
    schema: str,
    cube: Cube,
    filters: Filters,
    by: Breakdown | None,
) -> list[dict[str, Any]]:
    """The count figures summed over the chosen cells; the days figures' histogram forms
    over the chosen cells' reply days."""
    condition, params = filters.where(cells=True)
    s = Identifier(schema)
    group = SQL(CELL_BREAKDOWNS[by]) if by else SQL("NULL::text")  # type: ignore[arg-type]
    sums = SQL(", ").join(
        SQL("sum({0})::bigint AS {0}").format(Identifier(f.key))
        for f in FIGURES
        if f.kind == "count"
    )
    rows = fetch(
        conn,
        SQL("SELECT {0} AS group, {1} FROM {2}.{3} c WHERE {4}").format(
            group, sums, s, Identifier(cube.cells), condition
        )
        + SQL(" GROUP BY 1 ORDER BY 2 DESC, 1" if by else ""),
        params,
        prepare=False,
    )
    forms = SQL(", ").join(
        SQL("{0} AS {1}").format(SQL(f.histogram), Identifier(f.key))  # type: ignore[arg-type]
        for f in FIGURES
        if f.histogram is not None
    )
    days = fetch(
        conn,
        SQL(
            "SELECT h.g AS group, {0} FROM ("
            " SELECT t.g, t.v, t.n,"
            " sum(t.n) OVER (PARTITION BY t.g ORDER BY t.v) AS cum,"
            " floor((sum(t.n) OVER (PARTITION BY t.g) - 1) / 2.0) + 1 AS lo,"
            " ceil((sum(t.n) OVER (PARTITION BY t.g) - 1) / 2.0) + 1 AS hi"
            " FROM (SELECT {1} AS g, c.v, sum(c.n) AS n FROM {2}.{3} c WHERE {4}"
            " GROUP BY 1, 2) t) h"
        ).format(forms, group, s, Identifier(cube.days), condition)
        + SQL(" GROUP BY h.g"),
        params,
        prepare=False,
    )
    by_group = {row.pop("group"): row for row in days}
    if not by and not rows:
        rows = [{"group": None}]
    found = [_normalised({**row, **by_group.get(row["group"], {})}) for row in rows]
    if not by:
        for row in found:
            row.pop("group", None)
    return found


def _use_cells(conn: psycopg.Connection[Any], schema: str, max_age: float | None) -> bool:
    return cells_usable(conn, schema, max_age)


def figures(
    conn: psycopg.Connection[Any],
    schema: str,
    filters: Filters,
    *,
    by: Breakdown | None = None,
    max_age: float | None = None,
    cells: bool | None = None,
) -> list[dict[str, Any]]:
    """Every figure for the recommendations `filters` select: one row in all (by None),
    else one row per group (`group`, and `name`: the authority's name, else the group),
    largest first. A recommendation with two themes (or recommending bodies) counts
    under each. Read from the statistics cells when they are current, or no older than
    `max_age` seconds (`cells`: whether they may be read, when the caller already asked)."""
    condition, params = filters.where()
    if by is not None and by not in BREAKDOWNS:
        raise InvalidInput("by", "must be one of {allowed}", allowed=", ".join(BREAKDOWNS))
    cube = _cube(filters, by)
    if cube is not None and (cells if cells is not None else _use_cells(conn, schema, max_age)):
        rows = _figures_from_cells(conn, schema, cube, filters, by)
    else:
        s = Identifier(schema)
        source = SQL("{0}.status_recommendations r").format(s)
        if by is None:
            query = SQL("SELECT {0} FROM {1} WHERE {2}").format(_FIGURE_COLUMNS, source, condition)
            return [_normalised(row) for row in fetch(conn, query, params, prepare=False)]
        if by in _UNNESTED:
            source = source + SQL(_UNNESTED[by])  # type: ignore[arg-type]
        group = SQL(BREAKDOWNS[by])  # type: ignore[arg-type]
        query = SQL(
            "SELECT {0} AS group, {1} FROM {2} WHERE {3} GROUP BY 1 ORDER BY 2 DESC, 1"
        ).format(group, _FIGURE_COLUMNS, source, condition)
        rows = [_normalised(row) for row in fetch(conn, query, params, prepare=False)]
    if by is None:
        return rows
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
    conn: psycopg.Connection[Any],
    schema: str,
    filters: Filters,
    *,
    max_age: float | None = None,
    cells: bool | None = None,
) -> dict[str, dict[str, int]]:
    """Follow-up actions by kind and escalations by level, for the recommendations
    `filters` select: {"follow_up": {kind: n}, "escalation": {level: n}}."""
    cube = _cube(filters, None)
    if cube is not None and (cells if cells is not None else _use_cells(conn, schema, max_age)):
        condition, params = filters.where(cells=True)
        query = SQL(
            "SELECT c.action, c.detail, sum(c.n)::int AS n FROM {0}.{1} c"
            " WHERE {2} GROUP BY 1, 2 ORDER BY 1, 2"
        ).format(Identifier(schema), Identifier(cube.actions), condition)
    else:
        condition, params = filters.where()
        query = SQL(
            "SELECT a.action, a.detail, sum(a.n)::int AS n FROM {0}.statistics_actions a"
            " JOIN {0}.status_recommendations r ON r.recommendation_id = a.recommendation_id"
            " WHERE {1} GROUP BY 1, 2 ORDER BY 1, 2"
        ).format(Identifier(schema), condition)
    found: dict[str, dict[str, int]] = {FOLLOW_UP: {}, ESCALATION: {}}
    for row in fetch(conn, query, params, prepare=False):
        found[row["action"]][row["detail"]] = row["n"]
    return found


def statistics(
    conn: psycopg.Connection[Any],
    schema: str,
    filters: Filters,
    *,
    by: Breakdown | None = None,
    max_age: float | None = None,
) -> dict[str, Any]:
    """The totals, follow-ups by kind, escalations by level and, when `by` is given, the
    same figures per group: what GET /stats/figures answers. `max_age`: how old (in
    seconds) the statistics cells may be; by default only current cells are read."""
    filters.where()  # a bad filter is refused before anything is read
    cells = _use_cells(conn, schema, max_age)
    counted = actions(conn, schema, filters, cells=cells)
    return {
        "totals": figures(conn, schema, filters, cells=cells)[0],
        "follow_ups": counted[FOLLOW_UP],
        "escalations": counted[ESCALATION],
        "groups": figures(conn, schema, filters, by=by, cells=cells) if by is not None else [],
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
