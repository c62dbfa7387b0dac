"""The list's text search (`q`) on a status view of 150,000 rows: a search that matches few
or no rows is read by its matches (the text, reference and external-id indexes), not by
walking the made_on index and filtering every row on the way (which the planner chose,
taking any search to match 1 % of the rows: 1-4 s on 155,000); and every search lists the
same rows in the same order as filtering and sorting the whole table would."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from psycopg.sql import SQL, Composable, Identifier

from projections.views import status
from projections.views.status import RECOMMENDATIONS, ListFilters, StatusView
from services.adapters.database import ensure_schema

ROWS = 150_000  # the bench store's size; at 60,000 the planner read the matches anyway
TODAY = date(2026, 1, 15)
WORDS = ("budget", "training", "cctv", "staffing", "policy", "records", "food")


@pytest.fixture(scope="module")
def filled(database_url: str) -> Iterator[str]:
    """The status tables with ROWS recommendations, in a schema of this module's: each
    text names one of WORDS and a number of its own; a reference each (NPM-<year>-<n>),
    an external id every other."""
    schema = f"t_search_{uuid.uuid4().hex[:8]}"
    ensure_schema(database_url, schema)
    with psycopg.connect(database_url, autocommit=True) as conn:
        for table in StatusView.tables:
            for statement in table.create_statements(schema, with_indexes=False):
                conn.execute(statement)
        # only the indexes a search and the list's order use: the others' builds cost time
        for body, statement in zip(
            RECOMMENDATIONS.indexes, RECOMMENDATIONS.index_statements(schema), strict=True
        ):
            if body.startswith("(made_on") or any(
                column in body for column in ("text)", "upper(reference)", "(external_id)")
            ):
                conn.execute(statement)
        conn.execute(
            SQL(
                "INSERT INTO {0}.status_recommendations "
                "(recommendation_id, authority_id, made_on, year, status, text, reference, "
                "external_id) "
                "SELECT md5('rec' || i)::uuid, md5('authority' || mod(i, 7))::uuid, "
                "date '2016-01-01' + mod(i * 7919, 3650), 2016 + mod(i * 7919, 3650) / 365, "
                "'issued', initcap((ARRAY{1})[1 + mod(i, 7)]) || ': ensure that every unit "
                "acts (' || (100000 + i) || ')', 'NPM-' || (2016 + mod(i, 10)) || '-' || "
                "lpad(i::text, 5, '0'), CASE WHEN mod(i, 2) = 0 THEN 'EXT-' || i END "
                "FROM generate_series(1, %s) i"
            ).format(Identifier(schema), SQL(repr(list(WORDS)))),
            [ROWS],
        )
        conn.execute(SQL("ANALYZE {0}.status_recommendations").format(Identifier(schema)))
    yield schema
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(SQL("DROP SCHEMA {0} CASCADE").format(Identifier(schema)))


def _rows_read(plan: dict[str, Any]) -> Iterator[int]:
    """Rows each scan of a plan node read (returned plus removed by its filter)."""
    if "Relation Name" in plan:
        yield int(plan["Actual Rows"]) + int(plan.get("Rows Removed by Filter", 0))
    for child in plan.get("Plans", []):
        yield from _rows_read(child)


@pytest.mark.parametrize("q", ["zzqxw", "104242", "NPM-2019-00042", "EXT-4242"])
def test_a_search_matching_few_reads_only_its_matches(
    q: str, filled: str, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[int] = []
    fetch = status.fetch

    def explained(
        conn: psycopg.Connection[Any], query: Composable, params: list[Any], **kw: Any
    ) -> list[dict[str, Any]]:
        (plan,) = fetch(conn, SQL("EXPLAIN (ANALYZE, FORMAT JSON) ") + query, params)[0].values()
        read.extend(_rows_read(plan[0]["Plan"]))
        return fetch(conn, query, params, **kw)

    monkeypatch.setattr(status, "fetch", explained)
    with psycopg.connect(database_url) as conn:
        items, total = status.list_recommendations(conn, filled, q=q, today=TODAY)
    assert len(items) == total <= 1
    assert read and max(read) < 100, f"a scan read {max(read)} of {ROWS} rows"


@pytest.mark.parametrize(
    ("q", "offset"),
    [
        ("zzqxw", 0),
        ("104242", 0),
        ("cctv", 0),  # one row in seven
        ("cctv", 150),
        ("ensure", 1_000),  # every row
        ("NPM-2019-000", 0),  # a reference's start: 99 rows
        ("NPM-2019-000", 50),
        ("npm-2019", 100),  # a whole year's 3,000
        ("EXT-4242", 0),
    ],
)
def test_a_search_lists_what_filtering_and_sorting_all_rows_lists(
    q: str, offset: int, filled: str, database_url: str
) -> None:
    condition, params = ListFilters(q=q).where(TODAY)
    with psycopg.connect(database_url) as conn:
        every = [
            row[0]
            for row in conn.execute(
                SQL("SELECT recommendation_id FROM {0}.status_recommendations r").format(
                    Identifier(filled)
                )
                + condition
                + ListFilters().order(),
                params,
            )
        ]
        items, total = status.list_recommendations(
            conn, filled, q=q, limit=50, offset=offset, today=TODAY
        )
    assert [item["recommendation_id"] for item in items] == every[offset : offset + 50]
    assert int(total) == min(len(every), status.COUNT_CAP)
    assert total.exact == (len(every) <= status.COUNT_CAP)
