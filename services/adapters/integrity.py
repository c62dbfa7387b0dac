"""Tamper evidence: check the hash chain services/adapters/event_store.py writes with every event.

Each stored event has a chain row: prev_hash (the hash of the aggregate's previous
event, or 32 zero bytes for its first) and hash = SHA-256 over prev_hash, the aggregate
id, the version, the topic and the stored state bytes (ciphertext when encryption is
on, so verification never needs the key). `verify_chain` recomputes every hash in
PostgreSQL and reports each broken aggregate and version:

- altered payload or topic, or two events' contents swapped: the hash no longer matches;
- a deleted event: its chain row has no event, or (chain row deleted too) the versions
  have a gap or the next event's prev_hash no longer matches;
- an inserted event: it has no chain row.

What the database alone cannot show is the removal of an aggregate's latest events
together with their chain rows. `head_digest` covers that: a digest over every
aggregate's last version and hash, to be printed and kept outside the database, and
compared later (`rectrack audit verify --expect-head`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Composed, Identifier, Literal

from services.adapters.event_store import GENESIS


@dataclass(frozen=True)
class Break:
    aggregate_id: UUID
    version: int
    problem: str

    def __str__(self) -> str:
        return f"aggregate {self.aggregate_id} version {self.version}: {self.problem}"


def _tables(schema: str) -> tuple[Composed, Composed]:
    """(events table, chain table) of the schema."""
    return (
        SQL("{0}.rectrack_events").format(Identifier(schema)),
        SQL("{0}.rectrack_events_chain").format(Identifier(schema)),
    )


_VERIFY = """
WITH joined AS (
  SELECT coalesce(e.originator_id, c.originator_id) AS oid,
         coalesce(e.originator_version, c.originator_version) AS v,
         e.originator_id IS NOT NULL AS has_event,
         c.originator_id IS NOT NULL AS has_link,
         c.prev_hash, c.hash,
         CASE WHEN e.originator_id IS NOT NULL AND c.originator_id IS NOT NULL THEN
           sha256(c.prev_hash || uuid_send(e.originator_id) || int8send(e.originator_version)
                  || convert_to(e.topic, 'UTF8') || '\\x00'::bytea || e.state)
         END AS computed
  FROM {events} e FULL JOIN {chain} c
    ON c.originator_id = e.originator_id AND c.originator_version = e.originator_version
), checked AS (
  SELECT oid, v, has_event, has_link, prev_hash, hash, computed,
         lag(v) OVER w AS prev_v, lag(hash) OVER w AS prev_link_hash
  FROM joined WINDOW w AS (PARTITION BY oid ORDER BY v)
)
SELECT oid, v, has_event, has_link, computed IS NOT DISTINCT FROM hash AS hash_ok,
       prev_v, prev_hash = coalesce(prev_link_hash, {genesis}) AS link_ok
FROM checked
WHERE NOT has_event OR NOT has_link OR computed IS DISTINCT FROM hash
   OR (prev_v IS NULL AND v <> 1) OR (prev_v IS NOT NULL AND prev_v <> v - 1)
   OR prev_hash IS DISTINCT FROM coalesce(prev_link_hash, {genesis})
ORDER BY oid, v
"""


def verify_chain(database_url: str, schema: str) -> list[Break]:
    """Every break in the chain, by aggregate and version; empty when intact."""
    events, chain = _tables(schema)
    query = SQL(_VERIFY).format(events=events, chain=chain, genesis=Literal(GENESIS))
    breaks: list[Break] = []
    with psycopg.connect(database_url) as conn:
        conn.execute("SET statement_timeout = 0")
        for oid, v, has_event, has_link, hash_ok, prev_v, link_ok in conn.execute(query):
            if not has_event:
                breaks.append(Break(oid, v, "event deleted (its chain entry remains)"))
                continue
            if not has_link:
                breaks.append(Break(oid, v, "event not in the hash chain (inserted)"))
                continue
            if not hash_ok:
                breaks.append(
                    Break(oid, v, "stored event does not match its hash (altered or swapped)")
                )
            if prev_v is None and v != 1:
                breaks.append(Break(oid, v, f"versions 1..{v - 1} missing (deleted)"))
            elif prev_v is not None and prev_v != v - 1:
                breaks.append(Break(oid, v, f"versions {prev_v + 1}..{v - 1} missing (deleted)"))
            elif not link_ok:
                breaks.append(Break(oid, v, "does not chain to the previous event's hash"))
    return breaks


def head_digest(database_url: str, schema: str) -> str:
    """SHA-256 over every aggregate's id, last version and last hash, in id order."""
    query = SQL(
        "SELECT DISTINCT ON (originator_id) originator_id, originator_version, hash "
        "FROM {0} ORDER BY originator_id, originator_version DESC"
    ).format(_tables(schema)[1])
    digest = hashlib.sha256()
    with psycopg.connect(database_url) as conn:
        conn.execute("SET statement_timeout = 0")
        with conn.cursor(name="head_digest") as curs:
            curs.itersize = 10_000
            curs.execute(query)
            for oid, version, link_hash in curs:
                digest.update(oid.bytes)
                digest.update(int(version).to_bytes(8, "big", signed=True))
                digest.update(bytes(link_hash))
    return digest.hexdigest()
