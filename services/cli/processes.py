"""`rectrack api`: the HTTP API as a production process (uvicorn), configured from
RECTRACK_ settings. The worker, relay and projector processes register their own
commands in their issues' modules."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import structlog
import uvicorn

# Imported with the command rather than when uvicorn loads its configuration: `up`
# starts the process while the database starts and tells it to run once that is up
# (services/cli main_when_told), so what is imported by then is off the way to ready.
import uvicorn.lifespan.on
import uvicorn.protocols.http.h11_impl
from uvicorn.supervisors import Multiprocess

import services.api.serve  # noqa: F401
from services.adapters.settings import Settings
from services.api.observed import DRAIN_FLAG_VARIABLE, DRAINING

log = structlog.get_logger(__name__)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = subparsers.add_parser(
        "api",
        help="serve the HTTP API (JSON under /api/v1, docs at /docs)",
        description="Serve the HTTP API with uvicorn until SIGINT/SIGTERM. "
        "Defaults come from RECTRACK_API_HOST, RECTRACK_API_PORT and RECTRACK_API_WORKERS.",
    )
    api.add_argument("--host", help="address to bind (default: RECTRACK_API_HOST)")
    api.add_argument("--port", type=int, help="port to bind (default: RECTRACK_API_PORT)")
    api.add_argument("--workers", type=int, help="worker processes (default: RECTRACK_API_WORKERS)")
    api.set_defaults(handler=run_api)


def run_api(args: argparse.Namespace) -> int:
    settings = Settings()
    options: dict[str, Any] = dict(
        factory=True,
        host=args.host or settings.api_host,
        port=args.port if args.port is not None else settings.api_port,
        access_log=False,  # services/api/context.py logs each request with its context
        http="h11",  # the one installed: "auto" looks for httptools first
        ws="none",  # no WebSocket routes: nothing to look for
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    workers = args.workers or settings.api_workers
    if workers > 1:
        config = uvicorn.Config(
            "services.api.serve:app_from_environment", workers=workers, **options
        )
        with tempfile.TemporaryDirectory(prefix="rectrack-api-") as folder:
            flag = Path(folder) / "draining"
            os.environ[DRAIN_FLAG_VARIABLE] = str(flag)  # the workers inherit it
            sock = config.bind_socket()
            DrainingSupervisor(config, [sock], settings.shutdown_grace_seconds, flag).run()
        return 0
    config = uvicorn.Config("services.api.serve:app_from_environment", **options)
    DrainingServer(config, settings.shutdown_grace_seconds).run()
    return 0


class DrainingSupervisor(Multiprocess):
    """uvicorn's supervisor of several workers, which on the first SIGTERM/SIGINT first
    turns every worker's readiness to 503 (the flag file they all read) for `grace`
    seconds while they go on serving, then stops them as uvicorn does; a second signal
    stops at once."""

    def __init__(
        self, config: uvicorn.Config, sockets: list[socket.socket], grace: float, flag: Path
    ) -> None:
        super().__init__(config, sockets)
        self.grace, self.flag = grace, flag
        self._stop = super().handle_term

    def handle_term(self) -> None:
        if self.flag.exists() or self.grace <= 0:
            self.flag.touch()
            self._stop()
            return
        self.flag.touch()
        log.info("draining: readiness answers 503", grace_seconds=self.grace)
        timer = threading.Timer(self.grace, self._stop)
        timer.daemon = True
        timer.start()

    handle_int = handle_term


class DrainingServer(uvicorn.Server):
    """On the first SIGTERM/SIGINT, readiness answers 503 for `grace` seconds while
    requests are still served, then uvicorn's own graceful shutdown runs; a second
    signal stops at once."""

    def __init__(self, config: uvicorn.Config, grace: float) -> None:
        super().__init__(config)
        self.grace = grace

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if DRAINING.is_set() or self.grace <= 0:
            DRAINING.set()
            super().handle_exit(sig, frame)
            return
        DRAINING.set()
        # This runs as the signal handler, between two bytecodes of the main thread,
        # which may be inside a log line's write and hold the log's lock: logging here
        # would wait for that lock forever (the API then hung on SIGTERM in CI). The log
        # line and the timer are left to the event loop.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not serving yet, or no longer: nothing to log beside
            self._drain(sig, frame, announce=False)
            return
        loop.call_soon_threadsafe(self._drain, sig, frame)

    def _drain(self, sig: int, frame: FrameType | None, *, announce: bool = True) -> None:
        if announce:
            log.info("draining: readiness answers 503", grace_seconds=self.grace)
        timer = threading.Timer(self.grace, super().handle_exit, (sig, frame))
        timer.daemon = True
        timer.start()
