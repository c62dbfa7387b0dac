"""The questions users ask of the read models: plain functions over a psycopg connection
and the schema, returning JSON-friendly dicts. Synchronous and index-backed, for the API
handlers and the CLI alike.

"Overdue" is relative to `today` (default: the date today): a recommendation is overdue
when the authority's next obligation (its reply while none came, else the agreed
implementation date until implemented) falls before today. Today is never stored: the
views keep the due date, and a partial index on it finds what is past due.

A list's total is exact up to COUNT_CAP matches and then stops counting (a `Total` whose
`exact` is False): counting every one of 100,000 matches costs more than the page itself,
and a person paging through a list needs "more than 10,000", not the exact figure.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import dict_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from domain.errors import InvalidInput

MAX_LIMIT = 500
COUNT_CAP = 10_000


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


def _uuid(field: str, value: UUID | str | None) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not a UUID") from None


def _fetch(
    conn: psycopg.Connection[Any],
    query: Composed | SQL,
    params: list[Any] | tuple[Any, ...],
    *,
    prepare: bool | None = None,
) -> list[dict[str, Any]]:
    with conn.cursor(row_factory=dict_row) as curs:
        curs.execute(query, params, prepare=prepare)
        return list(curs.fetchall())


def _with_overdue(row: dict[str, Any], today: date) -> dict[str, Any]:
    due: date | None = row.get("due_on")
    overdue = due is not None and due < today
    row["overdue"] = overdue
    row["days_overdue"] = (today - due).days if due is not None and overdue else 0
    return row


_STATUS_COLUMNS = SQL(
    "r.*, a.name AS authority_name, p.name AS place_name, rp.title AS report_title, "
    "rp.link AS report_link"
)


def _status_from(schema: str) -> Composable:
    s = Identifier(schema)
    return SQL(
        "{0}.status_recommendations r "
        "LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id "
        "LEFT JOIN {0}.status_places p ON p.place_id = r.place_id "
        "LEFT JOIN {0}.status_reports rp ON rp.report_id = r.report_id"
    ).format(s)


def list_recommendations(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    status: str | None = None,
    authority_id: UUID | str | None = None,
    place_id: UUID | str | None = None,
    place_type: str | None = None,
    theme: str | None = None,
    keyword: str | None = None,
    group: str | None = None,
    kind: str | None = None,
    year: int | None = None,
    overdue: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
    today: date | None = None,
) -> tuple[list[dict[str, Any]], Total]:
    """One page of the status view, filtered; and how many rows match in all (a `Total`:
    an int, exact up to COUNT_CAP, else COUNT_CAP with `total.exact` False). The overdue
    list (overdue=True) comes most overdue first, anything else newest first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise InvalidInput("offset", "must not be negative")
    today = today or date.today()
    where: list[Composable] = []
    params: list[Any] = []

    def equals(column: str, value: Any) -> None:
        where.append(SQL("r.{0} = %s").format(Identifier(column)))
        params.append(value)

    if status is not None:
        equals("status", status)
    if authority_id is not None:
        equals("authority_id", _uuid("authority_id", authority_id))
    if place_id is not None:
        equals("place_id", _uuid("place_id", place_id))
    if place_type is not None:
        equals("place_type", place_type)
    if kind is not None:
        equals("kind", kind)
    if year is not None:
        equals("year", year)
    for column, value in (("themes", theme), ("keywords", keyword), ("vulnerable_groups", group)):
        if value is not None:
            where.append(SQL("r.{0} @> ARRAY[%s]::text[]").format(Identifier(column)))
            params.append(value.strip().lower())
    if overdue is True:
        where.append(SQL("r.due_on < %s"))
        params.append(today)
    elif overdue is False:
        where.append(SQL("(r.due_on IS NULL OR r.due_on >= %s)"))
        params.append(today)
    if q is not None and q.strip():
        where.append(SQL("to_tsvector('simple', r.text) @@ plainto_tsquery('simple', %s)"))
        params.append(q)
    condition = SQL(" WHERE ") + SQL(" AND ").join(where) if where else SQL("")
    order = (
        SQL(" ORDER BY r.due_on, r.recommendation_id")
        if overdue
        else SQL(" ORDER BY r.made_on DESC, r.recommendation_id")
    )
    items = _fetch(
        conn,
        SQL("SELECT {0} FROM {1}").format(_STATUS_COLUMNS, _status_from(schema))
        + condition
        + order
        + SQL(" LIMIT %s OFFSET %s"),
        [*params, limit, offset],
        # Never a prepared statement: after five runs PostgreSQL may settle on a generic
        # plan, and which index suits a list depends on the values (how many rows an
        # authority, a theme or a year has).
        prepare=False,
    )
    if offset == 0 and len(items) < limit:
        return [_with_overdue(row, today) for row in items], Total(len(items))
    counted = _fetch(
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
    total = Total(n) if n <= COUNT_CAP else Total(COUNT_CAP, exact=False)
    return [_with_overdue(row, today) for row in items], total


def get_recommendation_status(
    conn: psycopg.Connection[Any],
    schema: str,
    recommendation_id: UUID | str,
    *,
    today: date | None = None,
) -> dict[str, Any] | None:
    rows = _fetch(
        conn,
        SQL("SELECT {0} FROM {1} WHERE r.recommendation_id = %s").format(
            _STATUS_COLUMNS, _status_from(schema)
        ),
        [_uuid("recommendation_id", recommendation_id)],
    )
    return _with_overdue(rows[0], today or date.today()) if rows else None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def authority_scorecard(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    year: int | None = None,
    today: date | None = None,
) -> list[dict[str, Any]]:
    """Per authority and year of issue: issued, replied, replied on time (% of issued),
    median days to the first reply, accepted (% of replied), implemented and verified
    (% of issued), and how many are overdue for a reply now.

    Reads the scorecard view's aggregates (projections/scorecard.py): one totals row and
    a histogram of days to reply per authority and year; the median is read off the
    histogram (the mean of the two middle values when the count is even, as
    percentile_cont(0.5) gives). Only "overdue now" is counted from the recommendations,
    those still awaiting a reply, through a partial index."""
    today = today or date.today()
    s = Identifier(schema)
    condition = SQL("{0} = %s") if year is not None else SQL("{0} IS NOT NULL")
    rows = _fetch(
        conn,
        SQL(
            "WITH h AS ("
            " SELECT authority_id, year, days,"
            "  sum(n) OVER w - n AS before, sum(n) OVER w AS upto,"
            "  sum(n) OVER (PARTITION BY authority_id, year) AS total"
            " FROM {0}.scorecard_reply_days WHERE {1}"
            " WINDOW w AS (PARTITION BY authority_id, year ORDER BY days)),"
            " medians AS ("
            " SELECT authority_id, year, ((min(days) FILTER (WHERE before <= (total - 1) / 2"
            "  AND (total - 1) / 2 < upto) + min(days) FILTER (WHERE before <= total / 2"
            "  AND total / 2 < upto)) / 2.0)::float8 AS median"
            " FROM h GROUP BY authority_id, year),"
            " overdue AS ("
            " SELECT authority_id, year, count(*) AS n FROM {0}.scorecard_recommendations"
            " WHERE status = 'issued' AND reply_due < %s AND {2}"
            " GROUP BY authority_id, year)"
            " SELECT t.authority_id, a.name AS authority_name, t.year, t.issued, t.replied,"
            " t.replied_on_time, m.median AS median_days_to_reply, t.accepted,"
            " t.implemented_verified, coalesce(o.n, 0) AS overdue_now"
            " FROM {0}.scorecard_totals t"
            " LEFT JOIN {0}.scorecard_authorities a ON a.authority_id = t.authority_id"
            " LEFT JOIN medians m ON m.authority_id = t.authority_id AND m.year = t.year"
            " LEFT JOIN overdue o ON o.authority_id = t.authority_id AND o.year = t.year"
            " WHERE {3} ORDER BY a.name, t.year"
        ).format(
            s,
            condition.format(Identifier("year")),
            condition.format(Identifier("year")),
            condition.format(SQL("t.year")),
        ),
        [year, today, year, year] if year is not None else [today],
    )
    for row in rows:
        row["replied_on_time_pct"] = _pct(row["replied_on_time"], row["issued"])
        row["accepted_pct"] = _pct(row["accepted"], row["replied"])
        row["implemented_verified_pct"] = _pct(row["implemented_verified"], row["issued"])
    return rows


def theme_trends(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    year: int | None = None,
    dimension: str | None = None,
) -> dict[str, Any]:
    """Counts per period ("2025" and "2025-Q1".."2025-Q4"), dimension (theme, keyword,
    group), value and current status; and the chains of repeated recommendations."""
    if dimension is not None and dimension not in ("theme", "keyword", "group"):
        raise InvalidInput("dimension", "must be one of theme, keyword, group")
    where: list[Composable] = []
    params: list[Any] = []
    if year is not None:
        where.append(SQL("(period = %s OR period LIKE %s)"))
        params.extend([str(year), f"{year}-Q%"])
    if dimension is not None:
        where.append(SQL("dimension = %s"))
        params.append(dimension)
    condition = SQL(" WHERE ") + SQL(" AND ").join(where) if where else SQL("")
    counts = _fetch(
        conn,
        SQL("SELECT period, dimension, value, status, n FROM {0}.trends_counts").format(
            Identifier(schema)
        )
        + condition
        + SQL(" ORDER BY period, dimension, value, status"),
        params,
    )
    return {"counts": counts, "repeat_chains": repeat_chains(conn, schema)}


def repeat_chains(
    conn: psycopg.Connection[Any], schema: str, *, limit: int = 100
) -> list[dict[str, Any]]:
    """Chains of recommendations that repeat an earlier one, longest first: the first
    recommendation, how often the problem was raised again, and every member in order."""
    return _fetch(
        conn,
        SQL(
            "WITH RECURSIVE roots AS ("
            " SELECT DISTINCT c.repeats_id AS root FROM {0}.trends_recommendations c"
            " JOIN {0}.trends_recommendations r ON r.recommendation_id = c.repeats_id"
            " WHERE c.repeats_id IS NOT NULL AND r.repeats_id IS NULL),"
            " chain(root, member, depth) AS ("
            " SELECT root, root, 0 FROM roots"
            " UNION ALL SELECT chain.root, c.recommendation_id, chain.depth + 1"
            " FROM chain JOIN {0}.trends_recommendations c ON c.repeats_id = chain.member"
            " WHERE chain.depth < 100)"
            " SELECT chain.root AS first_id, count(*) - 1 AS times_raised_again,"
            " array_agg(chain.member::text ORDER BY chain.depth, chain.member) AS members,"
            " min(t.themes) AS themes"
            " FROM chain JOIN {0}.trends_recommendations t ON t.recommendation_id = chain.root"
            " GROUP BY chain.root ORDER BY 2 DESC, 1 LIMIT %s"
        ).format(Identifier(schema)),
        [limit],
    )


def place_history(
    conn: psycopg.Connection[Any], schema: str, place_id: UUID | str
) -> dict[str, Any] | None:
    """A place, its visits and its recommendations with their outcomes, oldest first."""
    place_uuid = _uuid("place_id", place_id)
    s = Identifier(schema)
    places = _fetch(
        conn, SQL("SELECT * FROM {0}.places_places WHERE place_id = %s").format(s), [place_uuid]
    )
    if not places:
        return None
    place = places[0]
    place["visits"] = _fetch(
        conn,
        SQL(
            "SELECT * FROM {0}.places_visits WHERE place_id = %s ORDER BY start_date, visit_id"
        ).format(s),
        [place_uuid],
    )
    recommendations = _fetch(
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


def audit_timeline(
    conn: psycopg.Connection[Any], schema: str, recommendation_id: UUID | str
) -> list[dict[str, Any]]:
    """Every event of the recommendation in order: who (and role), when recorded, for
    which business date, what changed (field, before, after), why, and the event's data."""
    return _fetch(
        conn,
        SQL(
            "SELECT version, notification_id, event, label, recorded_at, business_date, "
            "actor_id, actor_role, command_id, reason, changes, details "
            "FROM {0}.audit_events WHERE recommendation_id = %s ORDER BY version"
        ).format(Identifier(schema)),
        [_uuid("recommendation_id", recommendation_id)],
    )


def list_authorities(conn: psycopg.Connection[Any], schema: str) -> list[dict[str, Any]]:
    """Every authority by name, with how many recommendations are addressed to it."""
    return _fetch(
        conn,
        SQL(
            "SELECT a.authority_id, a.name, count(r.recommendation_id) AS recommendations "
            "FROM {0}.status_authorities a "
            "LEFT JOIN {0}.status_recommendations r ON r.authority_id = a.authority_id "
            "GROUP BY a.authority_id, a.name ORDER BY a.name, a.authority_id"
        ).format(Identifier(schema)),
        [],
    )


def list_places(
    conn: psycopg.Connection[Any], schema: str, *, authority_id: UUID | str | None = None
) -> list[dict[str, Any]]:
    """Every place of detention by name, optionally only those one authority answers for."""
    condition = SQL("")
    params: list[Any] = []
    if authority_id is not None:
        condition = SQL(" WHERE p.authority_id = %s")
        params.append(_uuid("authority_id", authority_id))
    return _fetch(
        conn,
        SQL(
            "SELECT p.place_id, p.name, p.place_type, p.authority_id, "
            "a.name AS authority_name FROM {0}.status_places p "
            "LEFT JOIN {0}.status_authorities a ON a.authority_id = p.authority_id"
        ).format(Identifier(schema))
        + condition
        + SQL(" ORDER BY p.name, p.place_id"),
        params,
    )


def list_reports(conn: psycopg.Connection[Any], schema: str) -> list[dict[str, Any]]:
    """Every report by title, with how many recommendations it carries."""
    return _fetch(
        conn,
        SQL(
            "SELECT rp.report_id, rp.title, rp.kind, rp.link, "
            "count(r.recommendation_id) AS recommendations "
            "FROM {0}.status_reports rp "
            "LEFT JOIN {0}.status_recommendations r ON r.report_id = rp.report_id "
            "GROUP BY rp.report_id, rp.title, rp.kind, rp.link ORDER BY rp.title, rp.report_id"
        ).format(Identifier(schema)),
        [],
    )
