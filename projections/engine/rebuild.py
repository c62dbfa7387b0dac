"""Building views from the first event, fast: the rebuild and the replay.

Live processing applies one event per transaction, which is right for a live log and
far too slow for a million events. A build instead reads the notification log in large
pages (a binary server-side cursor, only the columns needed) from one repeatable-read
snapshot and decodes each event once for every view. Recommendation events, nearly all
of the log, are folded once for the six views that follow them (engine/bulk.py), by
two processes, each folding half of the recommendations (engine/split.py), and their
tables are written when the log has been read (the statistics and register views' too:
engine/bulk_side.py). Other events run the views' own
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

import contextlib
import gc
import resource
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import psycopg
import structlog
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Composable, Composed, Identifier

from projections.base import Row, Table
from projections.engine import shapes
from projections.engine.bulk import (
    FOLDED_TOPICS,
    FOLDED_VIEWS,
    CounterInputs,
    RecommendationFold,
)
from projections.engine.copytext import copy_rows
from projections.engine.logread import PAGE, Part, Pass, read_log
from projections.engine.memory import MemoryRows
from projections.engine.recorder import pause_lock_keys, set_position
from projections.engine.registry import ViewSpec
from projections.engine.split import FOLDERS, PartResult, PartWork, fold_processes
from projections.facts import fact_mapper
from projections.views.status import PLACES as STATUS_PLACES
from services.adapters.table_creation import creation_lock

log = structlog.get_logger(__name__)

__all__ = ["PAGE", "BuildResult", "build_views", "rebuild"]

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
    folders: int = FOLDERS,
) -> BuildResult:
    """Build `specs` into tables created in `target_schema` on `conn` (loaded in its open
    transaction, then committed, so that keys and indexes can be built on two
    connections), from the events of `source_schema` up to each view's stop (all events
    when None). Reads on another connection, from one consistent snapshot.

    `method`: "handlers" runs every view's handlers on every event (the live code, on
    rows in memory); "fold" lets engine/bulk.py handle the recommendation events of
    the six views that follow them, split over `folders` processes (engine/split.py);
    "auto" folds when every view stops at the same event (always in a rebuild; in a
    replay, whenever the views stand at the same position)."""
    # A split fold's processes outlive the pass over the log: ended (or, if the build
    # fails, killed) when the build has ended.
    with contextlib.ExitStack() as processes:
        return _build_views(
            env,
            database_url,
            conn,
            source_schema,
            target_schema,
            specs,
            processes,
            stops=stops,
            progress=progress,
            with_indexes=with_indexes,
            method=method,
            folders=folders,
        )


def _build_views(
    env: dict[str, str],
    database_url: str,
    conn: psycopg.Connection[Any],
    source_schema: str,
    target_schema: str,
    specs: list[ViewSpec],
    processes: contextlib.ExitStack,
    *,
    stops: dict[str, int] | None,
    progress: ProgressCallback | None,
    with_indexes: bool,
    method: Method,
    folders: int,
) -> BuildResult:
    started, cpu_started = time.perf_counter(), time.process_time()
    mapper = fact_mapper(env)
    curs = conn.cursor()
    tables = [table for spec in specs for table in spec.view.tables]
    with psycopg.connect(database_url, autocommit=False) as reader:
        reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        reader.execute("SET LOCAL statement_timeout = 0")
        snapshot_row = reader.execute("SELECT pg_export_snapshot()").fetchone()
        snapshot = str(snapshot_row[0]) if snapshot_row else ""
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

        def new_pass(memory: MemoryRows) -> Pass:
            places = memory.tables.setdefault(STATUS_PLACES.name, {})
            fold = RecommendationFold(folded, places.get)
            return Pass(fold, memory, views, unfolded, folded, mapper.data)

        probe = RecommendationFold(folded, lambda _: None)
        # A part folds only its recommendations, so no view may need to see them all.
        split = (
            folders > 1
            and bool(folded)
            and not any(v.handles(t) for v, _ in unfolded for t in FOLDED_TOPICS)
        )
        # Keys and indexes are built once the rows are in: a sorted build each, not an
        # index insert per row. Tables created in this transaction take COPY FREEZE,
        # except the shared ones: a split fold's parts write their share of the fold's
        # tables on connections of their own, so those are created and committed first
        # (the fold's scratch tables with their key, for the derived rows' joins).
        shared: list[Table] = []
        scratch: list[Table] = []
        if split:
            scratch = [t for t in probe.shared_tables() if t not in tables]
            shared = [t for t in probe.shared_tables() if t in tables]
        for table in [*shared, *scratch, *(t for t in tables if t not in shared)]:
            statements = table.create_statements(
                target_schema, with_indexes=False, with_key=table in scratch
            )
            for statement in statements:
                curs.execute(statement)
            if table in shared or table in scratch:
                conn.commit()

        def spill(table: Table, rows: list[Row]) -> None:
            copy_rows(conn, target_schema, table, rows, freeze=table not in shared)

        parts = [Part(i, folders) for i in range(folders)] if split else []
        others = processes.enter_context(
            fold_processes(
                database_url,
                snapshot,
                parts[1:],
                _part_work(database_url, target_schema, upto, events, new_pass),
            )
        )
        work = new_pass(MemoryRows(spill))
        fold, memory = work.fold, work.memory
        done = 0

        def report(rows: int = 0) -> None:
            nonlocal done
            done += rows
            if progress is not None:
                progress(done + sum(p.progress.value for p in others), total)

        read_log(reader, events, upto, work, parts[0] if parts else None, report)
        reader.rollback()
    read, cpu_read = time.perf_counter(), time.process_time()
    # This process's share first, and what the handlers made of the other events, while
    # the other parts may still be reading or writing theirs: nothing needs every
    # part's pass ended before then; only the counters need every part's inputs.
    fold.write_part(conn, target_schema, created=split)
    for table, rows in memory.drain(tables):
        copy_rows(conn, target_schema, table, rows, freeze=table not in shared)
    done += sum([p.read(report) for p in others])
    if progress is not None:
        progress(done, total)
    inputs = [fold.counter_inputs(), *(p.done() for p in others)]
    fold.finish(conn, target_schema, inputs)
    conn.commit()
    statements = []
    # Largest first, so that the longest build starts at once and the small ones fill in.
    records = len(fold.records) + sum(p.records for p in others)
    sizes = {t.name: records for t in fold.per_recommendation_tables()}
    for table in sorted(tables, key=lambda t: -sizes.get(t.name, 0)):
        statements.extend(
            _index_statements(target_schema, table, with_indexes, vacuum=table in shared)
        )
    written, cpu_written = time.perf_counter(), time.process_time()
    build_indexes(database_url, statements)
    seconds = time.perf_counter() - started
    log.info(
        "views built",
        events=done,
        read_and_fold=round(read - started, 2),
        write=round(written - read, 2),
        keys_and_indexes=round(started + seconds - written, 2),
        # this process's CPU-seconds in the first two (PostgreSQL's are not counted);
        # read_and_fold is its own pass, write waits for the other parts' too
        read_and_fold_cpu=round(cpu_read - cpu_started, 2),
        write_cpu=round(cpu_written - cpu_read, 2),
        parts=[
            {
                "part": p.part.index,
                "cpu": round(p.cpu, 2),
                "read_cpu": round(p.read_cpu, 2),
                "max_rss_mb": p.rss_kb // 1024,
            }
            for p in others
        ],
        max_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    )
    return BuildResult(done, seconds, {spec.name: limits[spec.name] for spec in specs})


INDEX_BUILDERS = 2


def _part_work(
    database_url: str,
    schema: str,
    upto: int,
    events: Composable,
    new_pass: Callable[[MemoryRows], Pass],
) -> PartWork:
    """What a forked part does (engine/split.py): the same pass over its part of the
    log, then its share of the fold's rows. What the handlers make of the other events
    is the first part's to write: here it is only looked up, then dropped."""

    def work(
        reader: psycopg.Connection[Any], part: Part, on_page: Callable[[int], None]
    ) -> PartResult:
        own = new_pass(MemoryRows(lambda table, rows: None))
        rows = read_log(reader, events, upto, own, part, on_page)
        fold = own.fold

        def write() -> CounterInputs:
            with psycopg.connect(database_url, autocommit=False) as conn:
                conn.execute("SET statement_timeout = 0")
                fold.write_part(conn, schema, created=True)
                conn.commit()
            return fold.counter_inputs()

        return rows, len(fold.records), write

    return work


def _index_statements(
    schema: str, table: Table, with_indexes: bool, *, vacuum: bool
) -> list[Composed]:
    """The table's key, then (`with_indexes`) its indexes and statistics: needed now, or
    the first queries after the swap are planned blind. `vacuum`: the rows were not
    loaded frozen (a split fold's parts write the shared tables on connections of their
    own), so it is vacuumed too, which marks its pages all-visible for index-only
    scans."""
    statements = [table.key_statement(schema)]
    if with_indexes:
        # The slowest builds first (GIN, text search the slowest of them), so that the
        # builders are not left waiting for one long build at the end.
        built = zip(table.indexes, table.index_statements(schema), strict=True)
        statements.extend(s for _, s in sorted(built, key=lambda b: _build_order(b[0])))
        command = "VACUUM (ANALYZE) {0}.{1}" if vacuum else "ANALYZE {0}.{1}"
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
        set_position(conn, schema, spec.view, positions[spec.name])
    shapes.record(conn, schema, [spec.view for spec in specs])
