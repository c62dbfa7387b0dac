"""Helpers for the tests that run rectrack processes for real: start one with a test's
settings, read its /metrics and /readyz, wait for a condition."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

from services.adapters.settings import Settings

CLI = "from services.cli import leave, main; leave(main())"
T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        threading.Event().wait(0.1)


class Process:
    """`rectrack <args>` as a child, its output in a log file, its health on `port`."""

    def __init__(
        self, settings: Settings, args: list[str], log: Path, health_base: int, port: int
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RECTRACK_")}
        env.update(
            RECTRACK_DATABASE_URL=str(settings.database_url),
            RECTRACK_DATABASE_SCHEMA=settings.database_schema,
            RECTRACK_DATA_DIR=str(settings.data_dir),
            RECTRACK_HEALTH_PORT=str(health_base),
            RECTRACK_LOG_FORMAT="json",
            RECTRACK_SHUTDOWN_GRACE_SECONDS="2",
        )
        if settings.temporal_address:
            env["RECTRACK_TEMPORAL_ADDRESS"] = settings.temporal_address
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CLI, *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()
        except OSError:
            return 0, ""

    def metric(self, series: str) -> float | None:
        status, text = self.get("/metrics")
        if status != 200:
            return None
        match = re.search(rf"^{re.escape(series)} ([0-9.e+-]+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                return self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait(10)


def temporal_dev_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    """A Temporal dev server (in memory) on `port`, ready when this returns."""
    import socket

    from workflows.worker import binary

    with log.open("ab") as out:
        server = subprocess.Popen(
            [
                *(binary("temporal"), "server", "start-dev", "--headless"),
                *("--ip", "127.0.0.1", "--port", str(port), "--log-level", "error"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    eventually(listening, 60, "the Temporal dev server")
    return server
