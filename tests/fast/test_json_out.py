"""A list page written by orjson (services/api/json_out.py) is the bytes FastAPI wrote
through the page's pydantic model, for every kind of value a view row holds; a value
orjson does not know is written the model's way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import UUID

from projections.views.status import Total
from services.api.json_out import page_json
from services.api.routers.recommendations import RecommendationPage


def _as_pydantic(fields: dict[str, Any]) -> bytes:
    return RecommendationPage(**fields).model_dump_json().encode()


def test_a_page_of_view_rows_is_written_as_pydantic_writes_it() -> None:
    row = {
        "recommendation_id": UUID("5c0b7e4e-0000-4000-8000-00000000abcd"),
        "reference": None,
        "text": 'Ensure "daily" outdoor exercise \u2013 ä, ß, 日本, \u2028 and \\ too',
        "themes": ["health care", "restraint"],
        "made_on": date(2024, 2, 29),
        "recorded_at": datetime(2024, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
        "local_time": datetime(2024, 3, 1, 12, 30, tzinfo=timezone(timedelta(hours=2))),
        "plain_time": datetime(2024, 3, 1, 12, 30),
        "year": 2024,
        "share": 0.1 + 0.2,
        "verified": False,
        "nested": {"a": [1, None, True]},
    }
    fields = {"items": [row, {**row, "reference": "NPM-2024-0001"}], "total": Total(10_000, False)}
    page = {**fields, "limit": 20, "offset": 40}
    assert page_json(RecommendationPage, page) == _as_pydantic(page)


def test_a_value_orjson_does_not_know_is_written_by_the_model() -> None:
    page = {"items": [{"amount": Decimal("1.50")}], "total": 1, "limit": 20, "offset": 0}
    assert page_json(RecommendationPage, page) == _as_pydantic(page)
    assert b'"amount":"1.50"' in page_json(RecommendationPage, page)
