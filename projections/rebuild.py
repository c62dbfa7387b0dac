"""Building views from the first event, fast: the rebuild and the replay.

Live processing applies one event per transaction, which is right for a live log and
far too slow for a million events. A build instead reads the notification log in large
pages from one repeatable-read snapshot, runs the very same view handlers against rows
held in memory (projections/base.py MemoryRows), and COPYs the rows into fresh tables
in a scratch schema, creating indexes only after the load.

- `rebuild()` then swaps the fresh tables into the live schema and sets each view's
  tracking position in that same transaction. Live processing of the rebuilt views is
  paused (their advisory locks are held exclusively) from before the snapshot until the
  swap has committed; readers keep seeing the old tables until the swap.
- projections/replay.py builds into a scratch schema and compares with the live tables.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Identifier

from projections.base import APPLICATION_NAME, MemoryRows, Row, Table, pause_lock_keys
from projections.facts import fact_mapper
from projections.registry import ViewSpec

log = structlog.get_logger(__name__)

PAGE = 20_000

ProgressCallback = Callable[[int, int], None]
"""progress(events_done, events_total)"""


@dataclass(frozen=True)
class BuildResult:
    events: int
    seconds: float
    positions: dict[str, int]

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def build_views(
    env: dict[str, str],
    database_url: str,
    conn: psycopg.Connection[Any],
    source_schema: str,
    target_schema: str,
    specs: list[ViewSpec],
    *,
    stops: dict[str, int] | None = None,
    progress: ProgressCallback | None = None,
    with_indexes: bool = True,
) -> BuildResult:
    """Build `specs` into empty tables created in `target_schema` on `conn` (within its
    open transaction), from the events of `source_schema` up to each view's stop (all
    events when None). Reads on a second connection, from one consistent snapshot."""
    started = time.perf_counter()
    mapper = fact_mapper(env)
    curs = conn.cursor()
    for spec in specs:
        for table in spec.view.tables:
            for statement in table.create_statements(target_schema, with_indexes=False):
                curs.execute(statement)

    def spill(table: Table, rows: list[Row]) -> None:
        copy_rows(conn, target_schema, table, rows)

    memory = MemoryRows(spill)
    with psycopg.connect(database_url, autocommit=False) as reader:
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        reader.execute("SET LOCAL statement_timeout = 0")
        events = SQL("{0}.rectrack_events").format(Identifier(source_schema))
        last_row = reader.execute(SQL("SELECT max(notification_id) FROM {0}").format(events))
        found = last_row.fetchone()
        last = int(found[0]) if found and found[0] is not None else 0
        limits: dict[str, int] = {}
        for spec in specs:
            limits[spec.name] = last if stops is None else min(stops.get(spec.name, last), last)
        upto = max((limits[s.name] for s in specs), default=0)
        count_row = reader.execute(
            SQL("SELECT count(*) FROM {0} WHERE notification_id <= %s").format(events), (upto,)
        ).fetchone()
        total = int(count_row[0]) if count_row else 0
        views = [(spec.view, limits[spec.name]) for spec in specs]
        done = 0
        fact = mapper.fact
        with reader.cursor(name=f"rebuild_{uuid.uuid4().hex[:8]}") as pages:
            pages.itersize = PAGE
            pages.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {0} WHERE notification_id <= %s ORDER BY notification_id"
                ).format(events),
                (upto,),
            )
            while True:
                page = pages.fetchmany(PAGE)
                if not page:
                    break
                for notification_id, originator_id, version, topic, state in page:
                    event = fact(originator_id, version, topic, state, notification_id)
                    for view, limit in views:
                        if notification_id <= limit:
                            view.apply(event, memory)
                done += len(page)
                if progress is not None:
                    progress(done, total)
        reader.rollback()
    for table, rows in memory.drain(t for spec in specs for t in spec.view.tables):
        copy_rows(conn, target_schema, table, rows)
    if with_indexes:
        for spec in specs:
            for table in spec.view.tables:
                for statement in table.index_statements(target_schema):
                    curs.execute(statement)
    seconds = time.perf_counter() - started
    return BuildResult(done, seconds, {spec.name: limits[spec.name] for spec in specs})


def copy_rows(conn: psycopg.Connection[Any], schema: str, table: Table, rows: list[Row]) -> None:
    columns = list(table.columns)
    jsonb = [i for i, c in enumerate(columns) if table.columns[c] == "jsonb"]
    statement = SQL("COPY {0}.{1} ({2}) FROM STDIN").format(
        Identifier(schema), Identifier(table.name), SQL(", ").join(Identifier(c) for c in columns)
    )
    with conn.cursor() as curs, curs.copy(statement) as copy:
        for row in rows:
            values = [row.get(c) for c in columns]
            for i in jsonb:
                if values[i] is not None:
                    values[i] = table.db_value(columns[i], values[i])
            copy.write_row(values)


@contextmanager
def paused(conn: psycopg.Connection[Any], schema: str, specs: list[ViewSpec]) -> Iterator[None]:
    """Pause live processing of these views for the duration (session advisory locks,
    waiting for an event being processed to finish)."""
    keys = [pause_lock_keys(schema, spec.name) for spec in specs]
    for key in keys:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s), hashtext(%s))", key)
    try:
        yield
    finally:
        for key in keys:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s), hashtext(%s))", key)


def ensure_live_tables(env: dict[str, str], specs: list[ViewSpec]) -> None:
    """Create each view's tracking table (the library's way) and tables, if missing."""
    for spec in specs:
        factory = InfrastructureFactory.construct(Environment(spec.name, env))
        try:
            factory.tracking_recorder(spec.recorder_class)
        finally:
            factory.close()


def rebuild(
    env: dict[str, str],
    database_url: str,
    schema: str,
    specs: list[ViewSpec],
    *,
    progress: ProgressCallback | None = None,
) -> BuildResult:
    """Rebuild the views from the first event and swap them in; returns the count, time
    and the position each view now stands at."""
    ensure_live_tables(env, specs)
    scratch = f"rebuild_{uuid.uuid4().hex[:10]}"
    bound = log.bind(schema=schema, views=[s.name for s in specs], scratch=scratch)
    with psycopg.connect(database_url, autocommit=True) as locks:
        locks.execute("SET lock_timeout = 0")
        locks.execute("SET statement_timeout = 0")
        with paused(locks, schema, specs):
            try:
                with psycopg.connect(database_url, autocommit=False) as conn:
                    conn.execute("SET statement_timeout = 0")
                    conn.execute(SQL("CREATE SCHEMA {0}").format(Identifier(scratch)))
                    result = build_views(
                        env, database_url, conn, schema, scratch, specs, progress=progress
                    )
                    conn.commit()
                    swap(conn, scratch, schema, specs, result.positions)
                    conn.commit()
            except Exception:
                bound.exception("rebuild failed; the live views are unchanged")
                raise
            finally:
                with psycopg.connect(database_url, autocommit=True) as cleanup:
                    cleanup.execute(
                        SQL("DROP SCHEMA IF EXISTS {0} CASCADE").format(Identifier(scratch))
                    )
    bound.info("views rebuilt", events=result.events, seconds=round(result.seconds, 2))
    return result


def swap(
    conn: psycopg.Connection[Any],
    scratch: str,
    schema: str,
    specs: list[ViewSpec],
    positions: dict[str, int],
) -> None:
    """Replace the live tables with the built ones and set tracking, in one transaction."""
    conn.execute("SET LOCAL lock_timeout = '30s'")
    for spec in specs:
        for table in spec.view.tables:
            conn.execute(
                SQL("DROP TABLE IF EXISTS {0}.{1}").format(
                    Identifier(schema), Identifier(table.name)
                )
            )
            conn.execute(
                SQL("ALTER TABLE {0}.{1} SET SCHEMA {2}").format(
                    Identifier(scratch), Identifier(table.name), Identifier(schema)
                )
            )
        conn.execute(
            SQL(
                "INSERT INTO {0}.{1} (application_name, notification_id) VALUES (%s, %s) "
                "ON CONFLICT (application_name) DO UPDATE SET notification_id = "
                "EXCLUDED.notification_id"
            ).format(Identifier(schema), Identifier(spec.view.tracking_table())),
            (APPLICATION_NAME, positions[spec.name]),
        )
