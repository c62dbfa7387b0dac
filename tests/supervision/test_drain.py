"""Stopping the API in order: on SIGTERM its readiness answers 503 at once while it still
serves requests for the grace period (so a load balancer takes it out first), then it
exits cleanly; with one worker and with several."""

from __future__ import annotations

import signal
import subprocess
import sys
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


# The signal handler runs between two bytecodes of the main thread; here the main thread
# holds the log's lock, as it does while it writes a request's log line when SIGTERM comes.
_SIGNAL_DURING_A_LOG_LINE = """
import asyncio, signal, sys
import uvicorn
from structlog._output import _get_lock_for_file
from services.adapters.log_config import configure_logging
from services.cli.processes import DrainingServer

configure_logging()
server = DrainingServer(uvicorn.Config(app=lambda *_: None), grace=0.2)

async def main() -> None:
    with _get_lock_for_file(sys.stderr):
        server.handle_exit(signal.SIGTERM, None)
    # the grace timer (0.2 s) stops it: waited for, up to 10 s
    deadline = asyncio.get_running_loop().time() + 10
    while not server.should_exit and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    print("should_exit", server.should_exit)

asyncio.run(main())
"""


def test_a_sigterm_during_a_log_line_drains_and_stops() -> None:
    """The single-process API's SIGTERM handler logs nothing itself: a handler that did
    waited forever for the log's lock its own thread held (the process hung)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", _SIGNAL_DURING_A_LOG_LINE],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("the SIGTERM handler hung on the log's lock")
    assert done.returncode == 0, done.stderr
    assert "should_exit True" in done.stdout
    assert "draining: readiness answers 503" in done.stderr
