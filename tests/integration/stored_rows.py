"""What the PostgreSQL store holds, read with plain SQL: row counts of the events and
command-log tables, and each aggregate's versions, so the integration tests check what was
written rather than what the application says it wrote."""

from __future__ import annotations

import psycopg


def row_counts(database_url: str, schema: str) -> tuple[int, int]:
    """(events, command-log rows) as stored."""
    with psycopg.connect(database_url) as conn:
        counts = tuple(
            conn.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone()[0]  # type: ignore[index]
            for table in ("rectrack_events", "rectrack_events_commands")
        )
    return counts  # type: ignore[return-value]


def assert_versions_contiguous(database_url: str, schema: str) -> int:
    """Every aggregate's events are versions 1..n with no gap; return how many events."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f'SELECT originator_id, originator_version FROM "{schema}".rectrack_events '
            "ORDER BY originator_id, originator_version"
        ).fetchall()
    expected: dict[object, int] = {}
    for oid, version in rows:
        assert version == expected.get(oid, 0) + 1, f"{oid} v{version} follows a gap"
        expected[oid] = version
    return len(rows)
