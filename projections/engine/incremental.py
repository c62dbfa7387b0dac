"""Bringing the live views current with the events after their positions, at bulk speed
and in one transaction: what an import runs once it has stored its rows, instead of
leaving 100,000 events to the live projector (a page per transaction, every view's
handlers per event) or rebuilding every view from the first event.

Recommendations drafted after a view's position are new to it: their events are folded
by the rebuild's fold (engine/bulk.py `RecommendationFold`, called as it is), written to
temporary tables and added to the live tables (new rows, and the few counter tables
summed in). Every other event (authorities, reference sequences, replies to older
recommendations, another writer's commands) runs the views' own handlers on the live
rows (engine/recorder.py `DbRows`), in log order. Each view's tracking position moves
to the last event read, in that same transaction, and live processing of the views is
paused (their advisory locks held exclusively, as a rebuild holds them) from before the
positions are read until it has committed: a projector running beside then skips what
was applied here (ViewRecorder skips events at or before the tracked position), so
every event is applied once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import structlog
from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from projections.base import Row, Table, View
from projections.engine.bulk import FOLDED_VIEWS, RecommendationFold
from projections.engine.catchup import log_position, view_positions
from projections.engine.rebuild import ensure_live_tables, paused
from projections.engine.recorder import DbRows, set_position
from projections.engine.registry import ViewSpec, select
from projections.facts import Fact, fact_mapper
from projections.views.recommendation_fields import DRAFTED
from projections.views.status import PLACES as STATUS_PLACES

log = structlog.get_logger(__name__)

PAGE = 5_000
#: the fold's output before it is added to the live tables: temporary tables (no WAL,
#: dropped with the session)
SCRATCH = "pg_temp"

#: new recommendations folded before their rows are written (a few KB each in memory)
CHUNK = 5_000


@dataclass(frozen=True)
class CaughtUp:
    #: events read after the views' positions, and how many of them were folded (per
    #: group of views at one position: views that stood apart read their events apart)
    events: int
    folded: int
    #: where every view now stands
    position: int
    seconds: float


def bring_current(
    env: dict[str, str],
    database_url: str,
    schema: str,
    specs: list[ViewSpec] | None = None,
) -> CaughtUp:
    """Apply every event after each view's position (all views when `specs` is None) up
    to the last event stored now, and move the positions there, in one transaction.
    On any error nothing is applied: the views stay where they were, for the live
    projector or the next call."""
    with Follower(env, database_url, schema, specs) as follower:
        return follower.finish()


class Follower:
    """The views held paused at their positions while a writer appends (an import's
    store pass), following the log as it grows: `advance()` after each commit wakes a
    thread that folds what is committed by then, so the fold's Python and PostgreSQL's
    writes of it overlap the writer's; `finish()` applies the rest, moves the positions
    and commits. Leaving the block without `finish()` (an error) applies nothing."""

    def __init__(
        self,
        env: dict[str, str],
        database_url: str,
        schema: str,
        specs: list[ViewSpec] | None = None,
        *,
        command_id: str | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.env = env
        self.database_url = database_url
        self.schema = schema
        self.specs = select(None) if specs is None else specs
        self.log = log.bind(
            command_id=command_id, schema=schema, views=[s.name for s in self.specs]
        )
        #: progress(events, of events) of what is left when `finish()` is called
        self.progress = progress
        self._stack = contextlib.ExitStack()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._started = time.perf_counter()

    def __enter__(self) -> Follower:
        ensure_live_tables(self.env, self.specs)
        stack = self._stack
        try:
            locks = stack.enter_context(psycopg.connect(self.database_url, autocommit=True))
            locks.execute("SET lock_timeout = 0")
            locks.execute("SET statement_timeout = 0")
            stack.enter_context(paused(locks, self.schema, self.specs))
            positions = view_positions(locks, self.schema, [s.name for s in self.specs])
            self.conn = stack.enter_context(psycopg.connect(self.database_url, autocommit=False))
            self.reader = stack.enter_context(psycopg.connect(self.database_url, autocommit=True))
            self.conn.execute(
                "SELECT set_config('lock_timeout', '0', true), "
                "set_config('statement_timeout', '0', true), "
                "set_config('synchronous_commit', 'off', true)"
            )
        except BaseException:
            stack.close()
            raise
        groups: dict[int, list[ViewSpec]] = {}
        for spec in self.specs:
            groups.setdefault(positions[spec.name], []).append(spec)
        # Views at the same position are caught up together (usually all of them).
        self.groups = [
            _CatchUp(self.env, self.conn, self.schema, group, start)
            for start, group in sorted(groups.items())
        ]
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop()
        self._stack.close()  # an uncommitted transaction is rolled back; locks released

    def advance(self) -> None:
        """More events are committed: fold them on the follower's thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._follow, name="views-follower", daemon=True)
            self._thread.start()
        self._wake.set()

    def catch_up(self) -> int:
        """Apply what is committed now (on this thread); the position read."""
        head = log_position(self.reader, self.schema)
        self._read_to(head)
        return head

    def fold_early(
        self, ids: bytes, versions: list[int], topics: list[str], states: list[bytes]
    ) -> None:
        """Fold new recommendations' events before they are committed (engine/early.py);
        reading the log later skips them. Their rows go in this transaction, so they
        are committed only with the positions, in `finish()`, or not at all."""
        for group in self.groups:
            group.fold_early(ids, versions, topics, states)

    def _follow(self) -> None:
        try:
            while not self._stopping:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                self._read_to(log_position(self.reader, self.schema))
        except BaseException as error:
            self._error = error

    def _read_to(self, head: int, progress: Callable[[int, int], None] | None = None) -> None:
        starts = [group.done for group in self.groups]
        total = sum(max(head - start, 0) for start in starts)

        def page_done() -> None:
            if progress is not None:
                progress(sum(g.done - s for g, s in zip(self.groups, starts, strict=True)), total)

        for group in self.groups:
            group.read(self.reader, head, page_done)

    def _stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def finish(self) -> CaughtUp:
        """Apply what is left up to the last event committed now, move every view's
        position there and commit."""
        self._stop()
        try:
            if self._error is not None:
                raise self._error
            head = log_position(self.reader, self.schema)
            self._read_to(head, self.progress)
            for group in self.groups:
                group.write()
                _track(self.conn, self.schema, group.specs, max(head, group.done))
            self.conn.commit()
        except Exception:
            self.log.exception("bringing the views current failed; they are unchanged")
            raise
        result = CaughtUp(
            sum(g.events for g in self.groups),
            sum(g.folded for g in self.groups),
            head,
            time.perf_counter() - self._started,
        )
        self.log.info(
            "views brought current",
            events=result.events,
            folded=result.folded,
            position=head,
            seconds=round(result.seconds, 2),
        )
        return result


class _CatchUp:
    """One group of views at one position: the fold of the recommendations new to them,
    and the handlers of every other event, on `conn`'s open transaction."""

    def __init__(
        self,
        env: dict[str, str],
        conn: psycopg.Connection[Any],
        schema: str,
        specs: list[ViewSpec],
        start: int,
    ) -> None:
        self.conn = conn
        self.schema = schema
        self.specs = specs
        #: the last event read
        self.done = start
        self.mapper = fact_mapper(env)
        self.folded_views = FOLDED_VIEWS & {spec.name for spec in specs}
        self.views: list[View] = [spec.view for spec in specs]
        self.unfolded = [v for v in self.views if v.name not in self.folded_views]
        self.cache: dict[tuple[str, Any], Row | None] = {}
        self.rows = DbRows(conn.cursor(row_factory=dict_row), schema, self.cache)
        self._new_fold()
        self.events = 0
        self.folded = 0
        #: recommendations folded from an import's encoded batches before their events
        #: were read from the log (engine/early.py): their last version folded, so that
        #: reading the log skips those events and takes only later ones
        self.early: dict[bytes, int] = {}
        #: per (topic, folded or not): the views whose handlers take it
        self._routes: dict[tuple[str, bool], list[View]] = {}
        self._statement = SQL(
            "SELECT notification_id, uuid_send(originator_id), originator_version, topic, state "
            "FROM {0}.rectrack_events WHERE notification_id > %s AND notification_id <= %s"
        ).format(Identifier(schema))
        self._keys = SQL(
            "SELECT notification_id, uuid_send(originator_id), originator_version "
            "FROM {0}.rectrack_events WHERE notification_id > %s AND notification_id <= %s"
        ).format(Identifier(schema))
        self._chosen = SQL(
            "SELECT notification_id, uuid_send(originator_id), originator_version, topic, state "
            "FROM {0}.rectrack_events WHERE notification_id = ANY(%s)"
        ).format(Identifier(schema))

    def _new_fold(self) -> None:
        self.fold = RecommendationFold(
            self.folded_views, lambda place_id: self.rows.get(STATUS_PLACES, place_id)
        )
        #: recommendations drafted after the position and not yet written: every event
        #: of theirs is folded
        self.new: set[bytes] = set()

    def _handlers(self, topic: str, folds: bool) -> list[View]:
        route = self._routes.get((topic, folds))
        if route is None:
            targets = self.unfolded if folds else self.views
            route = self._routes[(topic, folds)] = [v for v in targets if v.handles(topic)]
        return route

    def read(
        self,
        reader: psycopg.Connection[Any],
        head: int,
        page_done: Callable[[], None] | None = None,
    ) -> None:
        """Read (done, head] a page at a time and apply it, in log order."""
        data_of = self.mapper.data
        while self.done < head:
            # A range of ids, sorted here: right after a large import the table's
            # statistics are stale, and `ORDER BY ... LIMIT` over the rest of the log was
            # planned as a sort of all of it, on disk, for every page. Every id up to
            # `head` is committed or never will be (ids are taken under the table's lock).
            upto = min(head, self.done + PAGE)
            page = self._page(reader, upto)
            fold_topics = self.fold.topics if self.folded_views else frozenset()
            for notification_id, originator_id, version, topic, state in page:
                folds = False
                if topic in fold_topics:
                    if topic == DRAFTED:
                        self.new.add(originator_id)
                    folds = originator_id in self.new
                handlers = self._handlers(topic, folds)
                if not folds and not handlers:
                    continue
                data = data_of(state)
                if handlers:
                    fact = Fact(UUID(bytes=originator_id), version, topic, data, notification_id)
                    for view in handlers:
                        view.apply(fact, self.rows)
                if folds:  # last: the fold takes `data` over
                    self.fold.apply(originator_id, version, topic, data)
                    self.folded += 1
            self.done = upto
            # The handlers' rows go in a page at a time, and the fold's every CHUNK
            # recommendations (theirs are existing rows after that), so memory stays flat.
            self.rows.flush()
            self.cache.clear()
            if len(self.new) >= CHUNK:
                self.write()
            if page_done is not None:
                page_done()

    def _page(self, reader: psycopg.Connection[Any], upto: int) -> list[tuple[Any, ...]]:
        """The events in (done, upto], in log order, but those folded early: their keys
        are read first, and the states only of the others (an import's own events are
        most of the page, and their states most of its bytes)."""
        if not self.early:
            page = reader.execute(self._statement, (self.done, upto), binary=True).fetchall()
            page.sort(key=_first)
            self.events += len(page)
            return page
        keys = reader.execute(self._keys, (self.done, upto), binary=True).fetchall()
        self.events += len(keys)
        early = self.early
        wanted = [k[0] for k in keys if early.get(k[1], 0) < k[2]]
        if not wanted:
            return []
        page = reader.execute(self._chosen, (wanted,), binary=True).fetchall()
        page.sort(key=_first)
        return page

    def fold_early(
        self, ids: bytes, versions: list[int], topics: list[str], states: list[bytes]
    ) -> None:
        """Fold a batch of new recommendations' events, encoded as the store writes them,
        before they are committed (engine/early.py): they have no notification ids yet,
        which the fold needs none of, and no handler of another view may take these
        topics."""
        data_of = self.mapper.data
        early = self.early
        for n, (version, topic, state) in enumerate(zip(versions, topics, states, strict=True)):
            originator_id = ids[16 * n : 16 * n + 16]
            if topic == DRAFTED:
                self.new.add(originator_id)
            if originator_id not in self.new or self._handlers(topic, True):
                raise ValueError(f"{topic} of {originator_id.hex()} cannot be folded early")
            early[originator_id] = version
            self.fold.apply(originator_id, version, topic, data_of(state))
            self.folded += 1
        if len(self.new) >= CHUNK:
            self.write()

    def write(self) -> None:
        """The fold's other rows: into temporary tables as a rebuild writes them, then
        added to the live tables; the next events start a new fold."""
        if not self.new:
            return
        tables = [
            table
            for spec in self.specs
            if spec.name in self.folded_views
            for table in spec.view.tables
        ]
        for table in tables:
            for statement in table.create_statements(SCRATCH, with_indexes=False, with_key=False):
                self.conn.execute(statement)
        self.fold.write(self.conn, SCRATCH)
        for table in tables:
            _add(self.conn, self.schema, table)
            self.conn.execute(SQL("DROP TABLE {0}.{1}").format(SCRATCH_ID, Identifier(table.name)))
        self._new_fold()


SCRATCH_ID = Identifier(SCRATCH)


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def _add(conn: psycopg.Connection[Any], schema: str, table: Table) -> None:
    """Add a table's folded rows to the live table: rows keyed by a new recommendation
    are new; a counter table's counts (every column outside its key an int) are summed
    into the live counts. Any other table is its handlers' alone: the fold leaves it
    empty."""
    names = SQL(", ").join(Identifier(c) for c in table.columns)
    insert = SQL("INSERT INTO {0}.{1} ({2}) SELECT {2} FROM {3}.{1}").format(
        Identifier(schema), Identifier(table.name), names, SCRATCH_ID
    )
    counts = [c for c in table.columns if c not in table.key]
    if "recommendation_id" in table.key:
        conn.execute(insert)
    elif counts and all(table.columns[c] == "int" for c in counts):
        conn.execute(
            insert
            + SQL(" ON CONFLICT ({0}) DO UPDATE SET {1}").format(
                SQL(", ").join(Identifier(k) for k in table.key),
                SQL(", ").join(
                    SQL("{0} = {1}.{0} + EXCLUDED.{0}").format(
                        Identifier(c), Identifier(table.name)
                    )
                    for c in counts
                ),
            )
        )
    else:
        found = conn.execute(
            SQL("SELECT EXISTS (SELECT 1 FROM {0}.{1})").format(SCRATCH_ID, Identifier(table.name))
        ).fetchone()
        if found and found[0]:
            raise RuntimeError(f"the fold wrote rows of {table.name}, which it cannot add to")


def _track(
    conn: psycopg.Connection[Any], schema: str, group: list[ViewSpec], position: int
) -> None:
    for spec in group:
        set_position(conn, schema, spec.view, position)
