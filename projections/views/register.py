"""The public register: which recommendations the NPM published, and the authority's
responses to each, as domain/publication.py lets them out.

The view keeps only what the status view does not: the day of publication and the
responses' published fields (the status view counts responses, it keeps no text). The
register's query joins the status view's rows for the rest and passes every row through
`published_fields`, so a field the split calls internal never leaves, whatever a column
list here says."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import psycopg
from psycopg.sql import SQL, Composable, Identifier

from domain.publication import published_data, published_fields
from projections.base import Rows, Table, View, on
from projections.events import Recommendation
from projections.facts import Fact
from projections.views.reading import as_uuid, fetch

PUBLISHED = Table(
    "register_recommendations",
    {"recommendation_id": "uuid", "published_on": "date", "responses": "jsonb"},
    key=("recommendation_id",),
    indexes=("(published_on) WHERE published_on IS NOT NULL",),
)


class RegisterView(View):
    name = "register"
    tables: ClassVar[tuple[Table, ...]] = (PUBLISHED,)

    def _row(self, fact: Fact, rows: Rows) -> dict[str, Any]:
        key = str(fact.originator_id)
        return rows.get(PUBLISHED, key) or {
            "recommendation_id": key,
            "published_on": None,
            "responses": [],
        }

    @on(Recommendation.ResponseReceived)
    def responded(self, fact: Fact, rows: Rows) -> None:
        row = self._row(fact, rows)
        response = published_data("ResponseReceived", fact.data)
        response.setdefault("agreed_implementation_date", None)  # version 1 had none
        row["responses"] = [*row["responses"], response]
        rows.put(PUBLISHED, row)

    @on(Recommendation.Published)
    def published(self, fact: Fact, rows: Rows) -> None:
        row = self._row(fact, rows)
        row["published_on"] = fact.meta.get("business_date")
        rows.put(PUBLISHED, row)


# --- queries ---------------------------------------------------------------------------

MAX_LIMIT = 1000


def _from(schema: str) -> Composable:
    return SQL(
        "{0}.register_recommendations g "
        "JOIN {0}.status_recommendations r ON r.recommendation_id = g.recommendation_id "
        "LEFT JOIN {0}.status_authorities a ON a.authority_id = r.authority_id "
        "LEFT JOIN {0}.status_places p ON p.place_id = r.place_id "
        "LEFT JOIN {0}.status_reports rp ON rp.report_id = r.report_id"
    ).format(Identifier(schema))


def published_recommendations(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    authority_id: str | None = None,
    theme: str | None = None,
    place_type: str | None = None,
    year: int | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The published recommendations, newest first, each with its publishable fields only
    (the authority's responses as a list), filtered by authority, theme, place type and
    year (of issue)."""
    where: list[Composable] = [SQL("g.published_on IS NOT NULL"), SQL("r.issued_on IS NOT NULL")]
    params: list[Any] = []
    if authority_id is not None:
        where.append(SQL("r.authority_id = %s"))
        params.append(as_uuid("authority_id", authority_id))
    if theme is not None:
        # Themes stay internal (never shown); the register can be narrowed by one.
        where.append(SQL("r.themes @> ARRAY[%s]::text[]"))
        params.append(theme.strip().lower())
    if place_type is not None:
        where.append(SQL("r.place_type = %s"))
        params.append(place_type)
    if year is not None:
        where.append(SQL("r.year = %s"))
        params.append(year)
    rows = fetch(
        conn,
        SQL(
            "SELECT r.*, g.published_on, g.responses AS published_responses, "
            "a.name AS authority_name, p.name AS place_name, rp.title AS report_title, "
            "rp.link AS report_link FROM {0} WHERE "
        ).format(_from(schema))
        + SQL(" AND ").join(where)
        + SQL(" ORDER BY r.issued_on DESC, r.recommendation_id LIMIT %s OFFSET %s"),
        [*params, min(limit, MAX_LIMIT), offset],
        prepare=False,
    )
    items = []
    for row in rows:
        row["responses"] = row.pop("published_responses") or []
        items.append({k: _plain(v) for k, v in published_fields(row).items()})
    return items


def register_authorities(conn: psycopg.Connection[Any], schema: str) -> list[dict[str, Any]]:
    """The authorities with a published recommendation, by name (the register's filter)."""
    return fetch(
        conn,
        SQL(
            "SELECT DISTINCT r.authority_id::text AS authority_id, a.name AS authority_name "
            "FROM {0} WHERE g.published_on IS NOT NULL ORDER BY 2"
        ).format(_from(schema)),
        [],
    )


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "hex") and not isinstance(value, bytes | str | int | float):
        return str(value)
    return value
