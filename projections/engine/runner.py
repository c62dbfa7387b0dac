"""The projector: one library ProjectionRunner per view, each following the
application's notification log live and applying the events waiting for it a page at a
time, each page in the same transaction as the view's tracking position
(engine/recorder.py ViewRecorder.project_page). One transaction per event capped a view
at about 850 events/s; a page of up to `projector_page_size` events costs one commit,
and rows touched by several events of the page are read and written once.

A runner whose thread fails (say the database restarted) is logged and started again
from its tracked position after a short back-off, so the process keeps serving views.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from traceback import format_exc
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import Tracking
from eventsourcing.projection import ApplicationSubscription, ProjectionRunner

from projections.engine import shapes
from projections.engine.rebuild import ensure_live_tables, rebuild
from projections.engine.recorder import ViewProjection
from projections.engine.registry import ViewSpec, select
from projections.facts import MAPPER_TOPIC
from projections.views.statistics_cells import SOURCES as CELL_SOURCES
from projections.views.statistics_cells import Refresher
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.adapters.table_creation import creation_lock
from services.application.store import Rectrack

log = structlog.get_logger(__name__)

RESTART_BACKOFF_SECONDS = 2.0


def projector_env(settings: Settings, database_url: str) -> dict[str, str]:
    """The library environment for the runners: the application's, with the fact mapper
    installed and small pools (each runner has its own)."""
    env = eventsourcing_env(settings, database_url)
    env["MAPPER_TOPIC"] = MAPPER_TOPIC
    env["POSTGRES_POOL_SIZE"] = "1"
    env["POSTGRES_MAX_OVERFLOW"] = "2"
    return env


def _has_ready(subscription: ApplicationSubscription[Any]) -> bool:
    """Whether the subscription holds an event it can hand over without waiting.

    The library's subscription (eventsourcing 9.5.6, pinned) pulls the log in lists of
    up to 500 notifications on its own thread and queues them; what is pulled and not
    yet handed over is waiting. A newer library without these attributes fails here
    loudly (tests/projections), not silently one event at a time."""
    pulled: Any = subscription.subscription
    return bool(
        pulled._notifications_index < len(pulled._notifications)
        or not pulled._notifications_queue.empty()
    )


class PagedProjectionRunner(ProjectionRunner[Any, Any]):
    """The library's runner, handing the view every event already waiting (up to the
    page size) as one page, so one transaction applies and tracks them all."""

    def __init__(self, *, page_size: int, **kwargs: Any) -> None:
        self.page_size = page_size
        super().__init__(**kwargs)

    @staticmethod
    def _process_events_loop(  # type: ignore[override]
        subscription: ApplicationSubscription[Any],
        projection: ViewProjection,
        is_stopping: threading.Event,
        runner: weakref.ReferenceType[PagedProjectionRunner],
    ) -> None:
        try:
            owner = runner()
            page_size = owner.page_size if owner is not None else 1
            del owner  # keep only the weak reference, as the library does
            for first in subscription:
                page: list[tuple[Any, Tracking]] = [first]
                while len(page) < page_size and _has_ready(subscription):
                    try:
                        page.append(next(subscription))
                    except StopIteration:
                        return  # stopped: the untracked page is read again on restart
                projection.process_page(page)
        except BaseException as error:
            owner = runner()
            if owner is not None:
                owner._thread_error = error
            else:
                log.error("projection failed after its runner was deleted", error=format_exc())
        finally:
            is_stopping.set()


def _logged(
    schema: str, beat: Callable[[], None], every: float = 5.0
) -> Callable[[int, int], None]:
    """A rebuild's progress as a log line every few seconds, and at the end; each page
    is a heartbeat too, so that a long rebuild is not taken for a stalled process."""
    last = [time.monotonic()]

    def progress(done: int, total: int) -> None:
        beat()
        now = time.monotonic()
        if done >= total or now - last[0] >= every:
            last[0] = now
            log.info("rebuilding views", schema=schema, events=done, of=total)

    return progress


class Projector:
    def __init__(
        self, settings: Settings, database_url: str, names: list[str] | None = None
    ) -> None:
        self.settings = settings
        self.database_url = database_url
        self.specs = select(names)
        self.env = projector_env(settings, database_url)
        self.runners: dict[str, ProjectionRunner[Any, Any]] = {}
        self._failed_at: dict[str, float] = {}
        self._lock = threading.Lock()
        #: called while a start rebuilds views (the leader sets its health's beat)
        self.heartbeat: Callable[[], None] = lambda: None
        self.cells = (
            Refresher(database_url, settings.database_schema, settings.stats_refresh_seconds)
            if any(spec.name in CELL_SOURCES for spec in self.specs)
            else None
        )

    def _start_one(self, spec: ViewSpec) -> None:
        runner: ProjectionRunner[Any, Any] = PagedProjectionRunner(
            page_size=self.settings.projector_page_size,
            application_class=Rectrack,
            projection_class=spec.projection_class,
            view_class=spec.recorder_class,
            env=self.env,
        )
        runner.__enter__()
        self.runners[spec.name] = runner
        log.info("projection started", view=spec.name, schema=self.settings.database_schema)

    def start(self) -> None:
        """Bring the views' tables to the code's shape, then run every view live."""
        with self._lock:
            if not self.runners:
                self.reshape()
            for spec in self.specs:
                if spec.name not in self.runners:
                    self._start_one(spec)

    def reshape(self) -> list[str]:
        """Rebuild from the log, before they run live, the views whose tables are not in
        the shape the code defines (engine/shapes.py), and drop retired views' tables:
        a live runner would otherwise fail on a missing column or table. Returns the
        views rebuilt. A view whose shape is recorded unchanged is left as it is."""
        schema = self.settings.database_schema
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            present = shapes.existing_tables(conn, schema)
            # Views with no table yet are created here, so that their shape is recorded
            # (the runners would create them too, without it); the others are not
            # touched: a start with every view current costs a few queries.
            fresh = [s for s in self.specs if not shapes.view_table_names(s.view) & present]
            if shapes.SHAPES_TABLE not in present:
                with creation_lock(conn, schema):
                    shapes.create_table(conn, schema)
            if fresh:
                ensure_live_tables(self.env, fresh)
            reasons = shapes.changed(conn, schema, [spec.view for spec in self.specs])
            retired = shapes.retired_present(conn, schema)
            if retired:
                try:
                    shapes.drop_retired(conn, schema)
                    log.info("retired view tables dropped", schema=schema, tables=retired)
                except psycopg.errors.InsufficientPrivilege:  # another role's: only disk
                    log.warning("retired view tables left: not ours", tables=retired)
        stale = [spec for spec in self.specs if spec.name in reasons]
        for spec in stale:
            log.warning(
                "view rebuilt before running live: its tables are not in the code's shape",
                view=spec.name,
                schema=schema,
                reason=reasons[spec.name],
            )
        if stale:
            rebuild(
                self.env, self.database_url, schema, stale, progress=_logged(schema, self.heartbeat)
            )
        return [spec.name for spec in stale]

    def _stop_one(self, name: str) -> None:
        runner = self.runners.pop(name)
        try:
            runner.__exit__(None, None, None)
        except Exception:
            log.exception("projection stopped with an error", view=name)
        finally:
            runner.view.datastore.close()

    def stop(self) -> None:
        with self._lock:
            for name in list(self.runners):
                self._stop_one(name)

    def supervise(self) -> None:
        """Restart any runner whose thread has failed. Call it periodically."""
        with self._lock:
            now = time.monotonic()
            for spec in self.specs:
                runner = self.runners.get(spec.name)
                if runner is not None and runner.is_interrupted.is_set():
                    self._stop_one(spec.name)
                    self._failed_at[spec.name] = now
                if spec.name not in self.runners:
                    failed_at = self._failed_at.get(spec.name, 0.0)
                    if now - failed_at >= RESTART_BACKOFF_SECONDS:
                        try:
                            self._start_one(spec)
                        except Exception:
                            log.exception("projection could not start", view=spec.name)
                            self._failed_at[spec.name] = now

    def keep(self) -> None:
        """What the projector's loop (projections/engine/leader.py) does at every check:
        restart the views that failed, and start a build of the statistics cells (on its
        own thread, one at a time) when the views have moved on and the last build began
        long enough ago."""
        self.supervise()
        if self.cells is not None:
            self.cells.tick(time.monotonic())
