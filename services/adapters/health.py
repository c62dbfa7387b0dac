"""The small HTTP endpoint of the processes that serve no HTTP of their own (worker,
relay, projector): /healthz (liveness: the main loop still ticks), /readyz (readiness:
started and not draining; 503 from the moment SIGTERM arrives) and /metrics
(prometheus-client's registry, plus any extra text such as the Temporal SDK's)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.adapters.readiness import notify_ready

log = structlog.get_logger(__name__)

#: A main loop silent for longer than this is reported dead (liveness 503).
STALL_SECONDS = 60.0


class Health:
    """What a process tells its probes; the process calls `beat()` from its main loop."""

    def __init__(self, process: str, stall_seconds: float = STALL_SECONDS) -> None:
        self.process = process
        self.stall_seconds = stall_seconds
        self.ready = False
        self.draining = False
        self.before_scrape: list[Callable[[], None]] = []
        self.extra_metrics: list[Callable[[], bytes]] = []
        self._last_beat = time.monotonic()

    def beat(self) -> None:
        self._last_beat = time.monotonic()

    def mark_ready(self) -> None:
        """Ready from now on; whoever started the process hears it at once
        (services/adapters/readiness.py)."""
        self.ready = True
        notify_ready()

    def drain(self, *, announce: bool = True) -> None:
        """Readiness answers 503 from now on: the first step of stopping. A signal
        handler passes `announce=False`: it may run while its own thread holds the log's
        lock (mid-line), and a log line there would wait for that lock forever."""
        if announce and not self.draining:
            log.info("draining: readiness now answers 503", process=self.process)
        self.draining = True

    def live(self) -> bool:
        return time.monotonic() - self._last_beat < self.stall_seconds

    def is_ready(self) -> bool:
        return self.ready and not self.draining and self.live()

    def metrics(self) -> bytes:
        for refresh in self.before_scrape:
            try:
                refresh()
            except Exception as error:  # a failed gauge refresh must not fail the scrape
                log.warning("metrics refresh failed", error=str(error)[:200])
        body = generate_latest()
        for extra in self.extra_metrics:
            try:
                body += extra()
            except Exception as error:
                log.warning("extra metrics unavailable", error=str(error)[:200])
        return body


def _handler(health: Health) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/healthz":
                ok = health.live()
                self._answer(200 if ok else 503, b"ok\n" if ok else b"stalled\n")
            elif path == "/readyz":
                ok = health.is_ready()
                text = b"ready\n" if ok else b"draining\n" if health.draining else b"not ready\n"
                self._answer(200 if ok else 503, text)
            elif path == "/metrics":
                self._answer(200, health.metrics(), CONTENT_TYPE_LATEST)
            else:
                self._answer(404, b"not found\n")

        def _answer(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # probes every few seconds would drown the process's own log

    return Handler


def serve_health(health: Health, host: str, port: int) -> ThreadingHTTPServer | None:
    """Serves the endpoint on a daemon thread; port 0 means none. A port that cannot be
    bound is logged, and the process runs without the endpoint rather than not at all."""
    if port == 0:
        return None
    try:
        server = ThreadingHTTPServer((host, port), _handler(health))
    except OSError as error:
        log.error("health endpoint not served", process=health.process, port=port, error=str(error))
        return None
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("health endpoint served", process=health.process, host=host, port=port)
    return server


#: Each non-HTTP process's port, as an offset from the health_port setting, so that they
#: can run on one machine (`rectrack up`, which serves its own /metrics on the fourth).
PORT_OFFSETS = {"worker": 0, "relay": 1, "projector": 2, "up": 3}


def port_for(base: int, process: str) -> int:
    return 0 if base == 0 else base + PORT_OFFSETS[process]
