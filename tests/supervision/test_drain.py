"""Stopping the API in order: on SIGTERM its readiness answers 503 at once while it still
serves requests for the grace period (so a load balancer takes it out first), then it
exits cleanly; with one worker and with several."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from services.adapters.settings import Settings
from tests.ports import free_port
from tests.supervision.processes import Process, eventually

pytestmark = [pytest.mark.e2e]


@pytest.mark.parametrize("workers", [1, 2])
def test_api_turns_unready_first_then_stops(
    settings: Settings, tmp_path: Path, workers: int
) -> None:
    port = free_port()
    command = ["api", "--port", str(port), "--workers", str(workers)]
    api = Process(settings, command, tmp_path / "api.log", 0, port)
    try:
        eventually(lambda: api.get("/readyz")[0] == 200, 60, "the API to be ready")
        api.process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        eventually(lambda: api.get("/readyz")[0] == 503, 2, "readiness to turn 503")
        # Every worker, whichever takes the connection, is draining and still serving.
        for _ in range(4 * workers):
            status, body = api.get("/readyz")
            assert status == 503 and "draining" in body
            assert api.get("/healthz")[0] == 200
        # uvicorn re-raises the signal it caught once it has shut down gracefully.
        assert api.process.wait(30) in (0, -signal.SIGTERM)
        assert time.monotonic() - signalled >= 2.0  # RECTRACK_SHUTDOWN_GRACE_SECONDS
    finally:
        api.stop()
