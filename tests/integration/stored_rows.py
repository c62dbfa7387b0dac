"""What the PostgreSQL store holds, read with plain SQL: row counts of the events, chain and
command-log tables, and the hash chain recomputed in Python, so the integration tests
check what was written rather than what the application says it wrote."""

from __future__ import annotations

import psycopg

from services.adapters.event_store import GENESIS, chain_hash


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
