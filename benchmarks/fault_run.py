"""The fault run: `rectrack up` under a steady write load, and one process at a time
killed with SIGKILL: the worker, the projector, the relay, the Temporal dev server, the
embedded PostgreSQL and `up` itself. Checks that no acknowledged write is lost, that none
is stored twice, and that everything comes back without a person acting; prints the
recovery seconds per fault.

The writers retry a failed request with the same Idempotency-Key (as a client must), so a
write whose answer was lost is stored once. `up` killed is started again by this script,
standing in for the service manager (systemd Restart=always) a machine would run it under.

Recovered means: the killed part runs again (a new process, ready on its health
endpoint, or the port/postmaster back), a write made after the kill is acknowledged, and
the projector and relay have caught up with it (their lag metric at most a page of the
load). Run: make fault-run (about 3 minutes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from tests.ports import free_port, free_ports

CLI = "import sys; from services.cli import main; sys.exit(main())"
WRITES_PER_SECOND = 5.0
RECOVERY_LIMIT = 120.0
LAG_OK = 10  # events: two seconds of the load


def alive(pid: int) -> bool:
    """Running, not a zombie: a killed `up`'s children are re-parented to PID 1, which in a
    container may never reap them."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Up:
    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[str] | None = None
    url: str = ""
    token: str = ""

    def start(self) -> float:
        started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-c", CLI, "up"],
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        expect_link = False
        link = ""
        for line in self.process.stdout:
            if "rectrack is running at " in line:
                self.url = line.split("running at ")[1].split()[0]
            elif line.startswith("sign in as admin with this one-time link"):
                expect_link = True
            elif expect_link and line.strip():
                link = line.strip()
                break
        else:
            raise RuntimeError("rectrack up exited before its banner")
        threading.Thread(target=self._drain, daemon=True).start()
        self.token = self._token_through(link)
        return time.monotonic() - started

    def _token_through(self, link: str) -> str:
        """`up` prints a one-time sign-in link, no token: sign in with it, as a browser
        would, and issue the load its API token."""
        answer = httpx.post(
            f"{self.url}/api/v1/session/link", json={"token": link.rsplit("/", 1)[1]}, timeout=30
        )
        answer.raise_for_status()
        headers = {
            "Cookie": answer.headers["set-cookie"].split(";", 1)[0],
            "X-CSRF-Token": answer.json()["csrf_token"],
        }
        issued = httpx.post(
            f"{self.url}/api/v1/users/admin/tokens",
            json={"label": "fault run"},
            headers=headers,
            timeout=30,
        )
        issued.raise_for_status()
        return str(issued.json()["token"])

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if "rectrack:" in line:
                print("    " + line.rstrip(), flush=True)

    def pids(self) -> dict[str, int]:
        try:
            entries = json.loads((self.data_dir / "run" / "children.json").read_text())
        except (OSError, ValueError):
            return {}
        return {name: int(entry["pid"]) for name, entry in entries.items()}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(120)


@dataclass
class Load:
    """Writers registering authorities, each write retried with its key until answered."""

    up: Up
    acknowledged: dict[str, str] = field(default_factory=dict)  # name -> id
    failures: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    last_ack: float = 0.0

    def run(self) -> None:
        while not self.stop.is_set():
            name = f"Authority {uuid.uuid4().hex[:10]}"
            key = str(uuid.uuid4())
            body = {
                "name": name,
                "kind": "ministry",
                "jurisdiction": "DE",
                "reply_period_days": 30,
                "urgent_reply_period_days": 5,
            }
            while not self.stop.is_set():
                try:
                    response = httpx.post(
                        f"{self.up.url}/api/v1/authorities",
                        json=body,
                        headers={
                            "Authorization": f"Bearer {self.up.token}",
                            "Idempotency-Key": key,
                        },
                        timeout=10,
                    )
                    if response.status_code == 201:
                        self.acknowledged[name] = response.json()["id"]
                        self.last_ack = time.monotonic()
                        break
                    if response.status_code < 500 and response.status_code != 429:
                        raise RuntimeError(f"write refused: {response.text[:300]}")
                    self.failures += 1
                except httpx.HTTPError:
                    self.failures += 1
                self.stop.wait(0.5)
            self.stop.wait(1 / WRITES_PER_SECOND)


def health(port: int, path: str) -> tuple[int, str]:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}{path}", timeout=3)
        return response.status_code, response.text
    except httpx.HTTPError:
        return 0, ""


def lag(port: int, metric: str) -> float | None:
    status, text = health(port, "/metrics")
    values = [float(v) for v in re.findall(rf"^{metric}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M)]
    return max(values) if status == 200 and values else None


def wait_for(check: Callable[[], bool], what: str, limit: float = RECOVERY_LIMIT) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            raise TimeoutError(f"{what}: not back within {limit:.0f} s")
        time.sleep(0.2)
    return time.monotonic() - started


def main() -> int:
    base = Path(tempfile.mkdtemp(prefix="rectrack-fault-run-"))
    data_dir = base / "data"
    health_base = free_ports(3)
    ports = {"worker": health_base, "relay": health_base + 1, "projector": health_base + 2}
    temporal_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTRACK_")}
    env.update(
        RECTRACK_DATA_DIR=str(data_dir),
        RECTRACK_API_PORT=str(free_port()),
        RECTRACK_TEMPORAL_DEV_PORT=str(temporal_port),
        RECTRACK_HEALTH_PORT=str(health_base),
        RECTRACK_LOG_FORMAT="json",
    )
    up = Up(data_dir, env)
    code = 1
    try:
        code = fault_run(up, data_dir, ports, temporal_port)
        return code
    finally:
        up.stop()
        if code == 0:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"logs kept in {data_dir / 'logs'}", flush=True)


def fault_run(up: Up, data_dir: Path, ports: dict[str, int], temporal_port: int) -> int:
    print(f"fault run in {data_dir}: starting rectrack up ...", flush=True)
    print(f"  up started in {up.start():.1f} s", flush=True)
    load = Load(up)
    writer = threading.Thread(target=load.run, daemon=True)
    writer.start()
    time.sleep(5)
    results: list[tuple[str, float]] = []

    def whole(after: float) -> bool:
        """A write made after `after` acknowledged, and the followers caught up."""
        if load.last_ack <= after:
            return False
        if any(health(p, "/readyz")[0] != 200 for p in ports.values()):
            return False
        views = lag(ports["projector"], "rectrack_projection_lag_events")
        relayed = lag(ports["relay"], "rectrack_relay_lag_events")
        return views is not None and relayed is not None and max(views, relayed) <= LAG_OK

    def replaced(name: str, old: int) -> Callable[[], bool]:
        def check() -> bool:
            pid = up.pids().get(name)
            return pid is not None and pid != old and alive(pid)

        return check

    try:
        for name in ("worker", "projector", "relay", "temporal"):
            old = up.pids()[name]
            print(f"- kill -9 {name} (pid {old})", flush=True)
            os.kill(old, signal.SIGKILL)
            killed = time.monotonic()
            wait_for(replaced(name, old), f"{name} restarted")
            if name == "temporal":
                wait_for(lambda: port_open(temporal_port), "temporal port")
            wait_for(lambda at=killed: whole(at), "the stack whole again")  # type: ignore[misc]
            results.append((name, time.monotonic() - killed))
            print(f"  back in {results[-1][1]:.1f} s", flush=True)
            time.sleep(3)

        postmaster = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
        print(f"- kill -9 the embedded PostgreSQL (postmaster {postmaster})", flush=True)
        os.kill(postmaster, signal.SIGKILL)
        killed = time.monotonic()
        wait_for(lambda: whole(killed), "the stack whole again")
        results.append(("postgresql", time.monotonic() - killed))
        print(f"  back in {results[-1][1]:.1f} s", flush=True)
        time.sleep(3)

        assert up.process is not None
        children = {n: p for n, p in up.pids().items() if n not in ("up", "watchdog")}
        print(f"- kill -9 rectrack up (pid {up.process.pid})", flush=True)
        up.process.kill()
        killed = time.monotonic()
        gone = wait_for(
            lambda: (
                not any(alive(p) for p in children.values())
                and not (data_dir / "postgres" / "postmaster.pid").exists()
            ),
            "the killed up's children and database to end",
            60,
        )
        print(f"  its children and database ended in {gone:.1f} s; starting up again", flush=True)
        up.start()
        wait_for(lambda: whole(killed), "the stack whole again")
        results.append(("up", time.monotonic() - killed))
        print(f"  back in {results[-1][1]:.1f} s", flush=True)
        time.sleep(3)
    finally:
        load.stop.set()
        writer.join(30)

    verdict = verify(up, load)
    print("\nfault             recovery (s)")
    for name, seconds in results:
        print(f"{name:<17} {seconds:>8.1f}")
    print(
        f"\nwrites acknowledged {len(load.acknowledged)}, failed attempts retried "
        f"{load.failures}; {verdict}"
    )
    return 0 if verdict.startswith("ok") else 1


def verify(up: Up, load: Load) -> str:
    """Every acknowledged write is in the record once, and in the authorities view."""
    headers = {"Authorization": f"Bearer {up.token}"}
    lost = [
        name
        for name, authority_id in load.acknowledged.items()
        if httpx.get(
            f"{up.url}/api/v1/authorities/{authority_id}", headers=headers, timeout=10
        ).status_code
        != 200
    ]

    def listed() -> list[dict[str, object]]:
        response = httpx.get(f"{up.url}/api/v1/authorities", headers=headers, timeout=30)
        body = response.json()
        return list(body["items"] if isinstance(body, dict) else body)

    deadline = time.monotonic() + 60
    while True:
        names = [str(item["name"]) for item in listed()]
        if all(name in names for name in load.acknowledged) or time.monotonic() > deadline:
            break
        time.sleep(1)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    missing_in_view = [n for n in load.acknowledged if n not in names]
    if lost or duplicated or missing_in_view:
        return (
            f"FAILED: lost {len(lost)}, duplicated {len(duplicated)}, "
            f"missing from the view {len(missing_in_view)}"
        )
    return "ok: none lost, none duplicated, the view has every one"


if __name__ == "__main__":
    sys.exit(main())
