"""Building views from the first event, fast: the rebuild and the replay.

Live processing applies one event per transaction, which is right for a live log and
far too slow for a million events. A build instead reads the notification log in large
pages (a binary server-side cursor, only the columns needed) from one repeatable-read
snapshot and decodes each event once for every view. Recommendation events, nearly all
of the log, are folded once for the six views that follow them (engine/bulk.py), and
their tables are written when the log has been read (the statistics and register views'
too: engine/bulk_side.py). Other events run the views' own
handlers against rows held in memory (engine/memory.py MemoryRows). Tables are
created without keys or indexes and loaded with COPY (FREEZE where the transaction
created them); keys and indexes are built afterwards, on two connections at once.

- `rebuild()` then swaps the fresh tables into the live schema and sets each view's
  tracking position in that same transaction. Live processing of the rebuilt views is
  paused (their advisory locks are held exclusively) from before the snapshot until the
  swap has committed; readers keep seeing the old tables until the swap.
- engine/replay.py builds into a scratch schema and compares with the live tables.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from uuid import UUID

import psycopg
import structlog
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg import ServerCursor
from psycopg.sql import SQL, Composed, Identifier

from projections.base import Row, Table, View
from projections.engine import shapes
from projections.engine.bulk import (
    DERIVED_TABLES,
    FOLDED_TOPICS,
    FOLDED_VIEWS,
    RecommendationFold,
)
from projections.engine.copytext import copy_rows
from projections.engine.memory import MemoryRows
from projections.engine.recorder import APPLICATION_NAME, pause_lock_keys
from projections.engine.registry import ViewSpec
from projections.facts import Fact, fact_mapper
from projections.views.status import PLACES as STATUS_PLACES
from services.adapters.table_creation import creation_lock

log = structlog.get_logger(__name__)

PAGE = 20_000

ProgressCallback = Callable[[int, int], None]
"""progress(events_done, events_total)"""

Method = Literal["auto", "fold", "handlers"]


@dataclass(frozen=True)
class BuildResult:
    events: int
    seconds: float
    positions: dict[str, int]

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


@contextmanager
def collector_paused() -> Iterator[None]:
    """A build keeps a record per recommendation: hundreds of thousands of live containers
    that the cyclic garbage collector would walk again and again while a build creates
    nothing it could free. It runs once at the end instead."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@collector_paused()
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
    method: Method = "auto",
) -> BuildResult:
    """Build `specs` into tables created in `target_schema` on `conn` (loaded in its open
    transaction, then committed, so that keys and indexes can be built on two
    connections), from the events of `source_schema` up to each view's stop (all events
    when None). Reads on another connection, from one consistent snapshot.

    `method`: "handlers" runs every view's handlers on every event (the live code, on
    rows in memory); "fold" lets engine/bulk.py handle the recommendation events of
    the six views that follow them; "auto" folds when every view stops at the same event
    (always in a rebuild; in a replay, whenever the views stand at the same position)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    mapper = fact_mapper(env)
    curs = conn.cursor()
    tables = [table for spec in specs for table in spec.view.tables]
    # Keys and indexes are built once the rows are in: a sorted build each, not an index
    # insert per row. Every table is created in this transaction, so takes COPY FREEZE.
    for table in tables:
        for statement in table.create_statements(target_schema, with_indexes=False, with_key=False):
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

        folded: frozenset[str] = frozenset()
        if method == "fold" or (method == "auto" and len(set(limits.values())) <= 1):
            if method == "fold" and len(set(limits.values())) > 1:
                raise ValueError("folding needs every view to stop at the same event")
            folded = FOLDED_VIEWS & {spec.name for spec in specs}
        views = [(spec.view, limits[spec.name]) for spec in specs]
        # Views that still see recommendation events one by one (none of the six).
        unfolded = [(v, limit) for v, limit in views if v.name not in folded]
        status_places = memory.tables.setdefault(STATUS_PLACES.name, {})
        fold = RecommendationFold(folded, status_places.get)
        data_of = mapper.data
        # Per topic: whether the fold takes it, and the views whose handlers take it (most
        # handle few events): worked out once, not per event.
        routes: dict[str, tuple[bool, list[tuple[View, int]]]] = {}
        done = 0
        with reader.cursor(name=f"rebuild_{uuid.uuid4().hex[:8]}", binary=True) as pages:
            pages.itersize = PAGE
            pages.execute(
                SQL(
                    "SELECT notification_id, uuid_send(originator_id), originator_version, topic, "
                    "state FROM {0} WHERE notification_id <= %s ORDER BY notification_id"
                ).format(events),
                (upto,),
            )
            for page in _read_ahead(pages):
                for notification_id, originator_id, version, topic, state in page:
                    route = routes.get(topic)
                    if route is None:
                        folds = bool(folded) and topic in fold.topics
                        targets = unfolded if folded and topic in FOLDED_TOPICS else views
                        route = routes[topic] = (
                            folds,
                            [(v, limit) for v, limit in targets if v.handles(topic)],
                        )
                    folding, handlers = route
                    if not folding and not handlers:
                        continue  # no view built here takes it: not even decoded
                    data = data_of(state)
                    if handlers:
                        event = Fact(
                            UUID(bytes=originator_id), version, topic, data, notification_id
                        )
                        for view, limit in handlers:
                            if notification_id <= limit:
                                view.apply(event, memory)
                    if folding:  # last: the fold takes `data` over
                        fold.apply(originator_id, version, topic, data)
                done += len(page)
                if progress is not None:
                    progress(done, total)
        reader.rollback()
        read, cpu_read = time.perf_counter(), time.process_time()
    fold.write(conn, target_schema)
    for table, rows in memory.drain(tables):
        copy_rows(conn, target_schema, table, rows)
    conn.commit()
    statements = []
    # Largest first, so that the longest build starts at once and the small ones fill in.
    sizes = {t.name: len(fold.records) for t in fold.per_recommendation_tables()}
    for table in sorted(tables, key=lambda t: -sizes.get(t.name, 0)):
        statements.extend(_index_statements(target_schema, table, with_indexes))
    written, cpu_written = time.perf_counter(), time.process_time()
    build_indexes(database_url, statements)
    seconds = time.perf_counter() - started
    log.info(
        "views built",
        events=done,
        read_and_fold=round(read - started, 2),
        write=round(written - read, 2),
        keys_and_indexes=round(started + seconds - written, 2),
        # this process's CPU-seconds in the first two (PostgreSQL's are not counted)
        read_and_fold_cpu=round(cpu_read - cpu_started, 2),
        write_cpu=round(cpu_written - cpu_read, 2),
    )
    return BuildResult(done, seconds, {spec.name: limits[spec.name] for spec in specs})


INDEX_BUILDERS = 2


def _read_ahead(pages: ServerCursor[Any]) -> Iterator[list[Any]]:
    """The cursor's pages, each next one fetched on a thread while this one is folded:
    the server reads and sends a page while Python works on the one before, instead of
    each waiting for the other."""
    with ThreadPoolExecutor(1, thread_name_prefix="read-ahead") as pool:
        ahead = pool.submit(pages.fetchmany, PAGE)
        while page := ahead.result():
            ahead = pool.submit(pages.fetchmany, PAGE)
            yield page


def _index_statements(schema: str, table: Table, with_indexes: bool) -> list[Composed]:
    """The table's key, then (`with_indexes`) its indexes and statistics: needed now, or
    the first queries after the swap are planned blind. Tables filled by INSERT ...
    SELECT (not COPY FREEZE) are vacuumed too, which marks their pages all-visible for
    index-only scans."""
    statements = [table.key_statement(schema)]
    if with_indexes:
        # The slowest builds first (GIN, text search the slowest of them), so that the
        # builders are not left waiting for one long build at the end.
        built = zip(table.indexes, table.index_statements(schema), strict=True)
        statements.extend(s for _, s in sorted(built, key=lambda b: _build_order(b[0])))
        derived = table.name in {t.name for t in DERIVED_TABLES}
        command = "VACUUM (ANALYZE) {0}.{1}" if derived else "ANALYZE {0}.{1}"
        statements.append(SQL(command).format(Identifier(schema), Identifier(table.name)))  # type: ignore[arg-type]
    return statements


def _build_order(index_body: str) -> int:
    return 0 if "to_tsvector" in index_body else 1 if "USING gin" in index_body else 2


def build_indexes(
    database_url: str, statements: list[Composed], *, builders: int = INDEX_BUILDERS
) -> None:
    """Run the key and index statements on `builders` connections at once, largest
    tables first: each build is one sort on one core, and by now the other core has
    nothing left to do. Statements on one table wait for each other's locks."""
    pending = list(reversed(statements))

    def work() -> None:
        with psycopg.connect(database_url, autocommit=True) as builder:
            builder.execute("SET lock_timeout = 0")
            builder.execute("SET statement_timeout = 0")
            builder.execute("SET maintenance_work_mem = '256MB'")
            # The builders already fill both cores: a build's parallel workers only add
            # hand-over and merge to the same sorts, on cores that are busy already.
            builder.execute("SET max_parallel_maintenance_workers = 0")
            # A smaller sample than autovacuum's later one: enough to plan the first
            # queries well, at a third of the time on a wide table.
            builder.execute("SET default_statistics_target = 30")
            while True:
                try:
                    statement = pending.pop()
                except IndexError:
                    return
                builder.execute(statement)

    with ThreadPoolExecutor(builders, thread_name_prefix="index") as pool:
        for future in [pool.submit(work) for _ in range(builders)]:
            future.result()


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
    """Create each view's tracking table (the library's way) and tables, if missing, and
    record the shape (engine/shapes.py) of each view whose tables were all created here."""
    for spec in specs:
        factory = InfrastructureFactory.construct(Environment(spec.name, env))
        try:
            datastore: Any = factory.datastore  # type: ignore[attr-defined]
            schema = datastore.schema
            with datastore.get_connection() as conn:  # autocommit
                with creation_lock(conn, schema):
                    shapes.create_table(conn, schema)
                    present = shapes.existing_tables(conn, schema)
                # Not under the lock: the recorder takes it on a connection of its own.
                factory.tracking_recorder(spec.recorder_class)
                if not shapes.view_table_names(spec.view) & present:
                    shapes.record(conn, schema, [spec.view], replace=False)
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
    """Replace the live tables with the built ones, set tracking and record their shape
    (engine/shapes.py), in one transaction; drop the tables of retired views
    (registry.py RETIRED_TABLES) if still there."""
    conn.execute("SET LOCAL lock_timeout = '30s'")
    shapes.drop_retired(conn, schema)
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
    shapes.record(conn, schema, [spec.view for spec in specs])
