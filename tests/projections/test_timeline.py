"""The audit timeline, read from the recommendation's own events
(projections/views/timeline.py), against a golden expectation: what the audit view
(`audit_events`, removed) gave for a recommendation with every kind of event, key order
included. timeline_golden.json was written from the old view's rows (its rebuild, on a
store with this recommendation among test_bulk's varied ones, all of whose timelines the
on-read fold matched value for value, type for type and key for key)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from projections.engine.runner import projector_env
from projections.facts import FactMapper, fact_mapper
from projections.views.recommendation_fields import LABELS, event_of
from projections.views.timeline import audit_timeline
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.store import Rectrack
from tests.projections.timeline_case import every_event

GOLDEN = Path(__file__).with_name("timeline_golden.json")
AUTHORITY = "00000000-0000-4000-8000-00000000000a"
PLACE = "00000000-0000-4000-8000-00000000000b"
EARLIER = "00000000-0000-4000-8000-00000000000c"
NAMES = {AUTHORITY: "<authority>", PLACE: "<place>", EARLIER: "<earlier>"}


def _named(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _named(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_named(v, names) for v in value]
    return names.get(value, value) if isinstance(value, str) else value


def normalised(rows: list[dict[str, Any]], names: dict[str, str]) -> str:
    """The rows as JSON text in their own key order, with what differs from one store to
    the next made constant: notification ids counted from the first, the recording time
    (checked to be an aware datetime), the ids in `names`."""
    first = rows[0]["notification_id"]
    out = []
    for row in rows:
        recorded = row["recorded_at"]
        assert isinstance(recorded, datetime) and recorded.utcoffset() is not None
        assert isinstance(row["business_date"], date)
        out.append(
            {
                **row,
                "notification_id": row["notification_id"] - first,
                "recorded_at": "<recorded>",
                "business_date": row["business_date"].isoformat(),
            }
        )
    return json.dumps(_named(out, names), indent=1) + "\n"


@pytest.fixture(
    params=[None, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="], ids=["plain", "encrypted"]
)
def store_settings(
    request: pytest.FixtureRequest, database_url: str, schema: str, tmp_path: Path
) -> Settings:
    return Settings(
        database_url=database_url,
        database_schema=schema,
        data_dir=tmp_path / "data",
        encryption_key=request.param,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )


def test_every_kind_of_event_as_the_audit_view_showed_it(
    store_settings: Settings, database_url: str, schema: str
) -> None:
    app = Rectrack(env=eventsourcing_env(store_settings, database_url))
    try:
        rec = every_event(AUTHORITY, PLACE, EARLIER)
        app.save(rec)
        # the API's and the CLI's mapper: the store's own cipher and compressor
        like_the_store = FactMapper.like(app.mapper)
    finally:
        app.close()
    mapper = fact_mapper(projector_env(store_settings, database_url))
    with psycopg.connect(database_url) as conn:
        rows = audit_timeline(conn, schema, rec.id, mapper)
        assert audit_timeline(conn, schema, rec.id, like_the_store) == rows
        assert audit_timeline(conn, schema, EARLIER, mapper) == []  # no such events
    assert {r["event"] for r in rows} == {event_of(c.__qualname__) for c in LABELS}
    assert [r["version"] for r in rows] == list(range(1, len(LABELS) + 1))
    assert normalised(rows, NAMES) == GOLDEN.read_text()
