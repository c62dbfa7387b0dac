"""The projector: one library ProjectionRunner per view, each following the
application's notification log live and applying every event to its view in the same
transaction as its tracking position (engine/recorder.py ViewRecorder.project).

A runner whose thread fails (say the database restarted) is logged and started again
from its tracked position after a short back-off, so the process keeps serving views.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import structlog
from eventsourcing.projection import ProjectionRunner

from projections.engine.registry import ViewSpec, select
from projections.facts import MAPPER_TOPIC
from projections.views.statistics_cells import SOURCES as CELL_SOURCES
from projections.views.statistics_cells import Refresher
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
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
        self.cells = (
            Refresher(database_url, settings.database_schema, settings.stats_refresh_seconds)
            if any(spec.name in CELL_SOURCES for spec in self.specs)
            else None
        )

    def _start_one(self, spec: ViewSpec) -> None:
        runner: ProjectionRunner[Any, Any] = ProjectionRunner(
            application_class=Rectrack,
            projection_class=spec.projection_class,
            view_class=spec.recorder_class,
            env=self.env,
        )
        runner.__enter__()
        self.runners[spec.name] = runner
        log.info("projection started", view=spec.name, schema=self.settings.database_schema)

    def start(self) -> None:
        with self._lock:
            for spec in self.specs:
                if spec.name not in self.runners:
                    self._start_one(spec)

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

    def run_until(self, stop: threading.Event, check_every: float = 1.0) -> None:
        self.start()
        try:
            while not stop.wait(check_every):
                self.supervise()
                if self.cells is not None:
                    self.cells.tick(time.monotonic())
        finally:
            self.stop()
