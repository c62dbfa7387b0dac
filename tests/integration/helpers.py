"""Builders for integration tests: an authority, a place and an issued recommendation
written through the application, as a caseworker would."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import psycopg

from domain.values import DayKind, EscalationLevel, RecommendationKind
from services.application.store import Rectrack
from tests.conftest import MetaFactory

LADDER = [
    EscalationLevel("send reminder letter", "head of institution", 14),
    EscalationLevel("send escalation letter", "ministry", 30),
]


def authority(
    app: Rectrack,
    meta: MetaFactory,
    *,
    period: int = 30,
    day_kind: DayKind = DayKind.CALENDAR,
    urgent: int = 5,
    jurisdiction: str = "DE",
) -> UUID:
    return app.register_authority(
        meta(),
        name="Ministry of Justice",
        kind="ministry",
        jurisdiction=jurisdiction,
        parent_id=None,
        reply_period_days=period,
        day_kind=day_kind,
        urgent_reply_period_days=urgent,
        escalation_ladder=LADDER,
    ).aggregate_id


def issued_recommendation(
    app: Rectrack, meta: MetaFactory, authority_id: UUID, issued_on: date = date(2026, 1, 5)
) -> UUID:
    return app.draft_recommendation(
        meta(issued_on),
        kind=RecommendationKind.VISIT,
        text="Ensure daily access to fresh air",
        authority_id=authority_id,
        issued_on=issued_on,
    ).aggregate_id


def row_counts(database_url: str, schema: str) -> tuple[int, int, int]:
    """(events, chain rows, command-log rows) as stored."""
    with psycopg.connect(database_url) as conn:
        counts = tuple(
            conn.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone()[0]  # type: ignore[index]
            for table in ("rectrack_events", "rectrack_events_chain", "rectrack_events_commands")
        )
    return counts  # type: ignore[return-value]


def assert_chain_intact(database_url: str, schema: str) -> int:
    """Recompute every stored event's chain hash in Python; return how many were checked."""
    from services.adapters.event_store import GENESIS, chain_hash

    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"SELECT e.originator_id, e.originator_version, e.topic, e.state, c.prev_hash, c.hash "
            f'FROM "{schema}".rectrack_events e LEFT JOIN "{schema}".rectrack_events_chain c '
            "USING (originator_id, originator_version) "
            "ORDER BY e.originator_id, e.originator_version"
        ).fetchall()
    previous: dict[object, bytes] = {}
    for oid, version, topic, state, prev_hash, stored_hash in rows:
        expected_prev = previous.get(oid, GENESIS)
        assert prev_hash is not None, f"{oid} v{version} has no chain row"
        assert bytes(prev_hash) == expected_prev, f"{oid} v{version} is not linked"
        assert bytes(stored_hash) == chain_hash(expected_prev, oid, version, topic, bytes(state))
        previous[oid] = bytes(stored_hash)
    return len(rows)
