"""Where a benchmark's CPU goes, per process, from /proc: the process itself, its child
processes (the worker's letter renderer), the Temporal dev server, and the PostgreSQL
backends serving it (found by the `application_name` its connections carry, PGAPPNAME).
On two shared cores a wall-clock figure says little; CPU-seconds per process say who
spent them (#16)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psycopg


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def descendants(pid: int) -> list[int]:
    """The process's children, theirs, and so on (the worker's letter renderer)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU so far (its children's not included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def dev_server_pid(exclude: int) -> int | None:
    """The Temporal dev server this process started (its child, not `exclude`'s)."""
    for pid in descendants(os.getpid()):
        if pid == exclude:
            continue
        try:
            name = Path(f"/proc/{pid}/comm").read_text().strip()
        except OSError:
            continue
        if name.startswith("temporal"):
            return pid
    return None


def wait_until_idle(pid: int, quiet: float = 0.05, most: float = 60.0) -> None:
    """Until the process used under `quiet` s of CPU in a second (its start-up is done)."""
    deadline = time.monotonic() + most
    before = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(1)
        now = cpu_seconds(pid)
        if now - before < quiet:
            return
        before = now


class MemoryWatch:
    """Samples a process's resident memory on a thread; keeps the peak, and the peak of
    its child processes together (the letter renderer, reported beside it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        #: the peak so far when `mark` was last called (the peak before the burst)
        self.marked = 0.0
        self.children_peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.peak = max(self.peak, rss_mb(self.pid))
            except OSError:
                return
            children = 0.0
            for child in descendants(self.pid):
                try:
                    children += rss_mb(child)
                except OSError:
                    continue
            self.children_peak = max(self.children_peak, children)

    def mark(self) -> None:
        self.marked = self.peak

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


class CpuSplit:
    """CPU-seconds per part between two `take`s: the worker, its children (the letter
    renderer), the dev server, and the PostgreSQL backends whose application_name is
    `app_name` (the worker's pool, set through PGAPPNAME); and the relay process and its
    backends, if one is given. A backend or child that ends
    between the two takes is missed; the worker's pool keeps its connections."""

    PARTS = (
        "worker",
        "letter renderer",
        "dev server",
        "PostgreSQL (worker's)",
        "relay",
        "PostgreSQL (relay's)",
    )

    def __init__(
        self,
        url: str,
        worker: int,
        server: int | None,
        app_name: str,
        relay: int | None = None,
        relay_app_name: str = "",
    ) -> None:
        self.url = url
        self.worker = worker
        self.server = server
        self.app_name = app_name
        self.relay = relay
        self.relay_app_name = relay_app_name

    def _backends(self, app_name: str) -> list[int]:
        if not app_name:
            return []
        with psycopg.connect(self.url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s", [app_name]
            ).fetchall()
        return [int(pid) for (pid,) in rows]

    def take(self) -> dict[str, dict[int, float]]:
        """Each part's processes and their CPU so far."""

        def of(pids: list[int]) -> dict[int, float]:
            found = {}
            for pid in pids:
                try:
                    found[pid] = cpu_seconds(pid)
                except OSError:
                    continue
            return found

        return {
            "worker": of([self.worker]),
            "letter renderer": of(descendants(self.worker)),
            "dev server": of([self.server] if self.server else []),
            "PostgreSQL (worker's)": of(self._backends(self.app_name)),
            "relay": of([self.relay] if self.relay else []),
            "PostgreSQL (relay's)": of(self._backends(self.relay_app_name)),
        }

    @staticmethod
    def spent(
        before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
    ) -> dict[str, float]:
        """CPU-seconds each part spent from `before` to `after` (a process that started
        meanwhile counts from zero)."""
        return {
            part: sum(cpu - before[part].get(pid, 0.0) for pid, cpu in after[part].items())
            for part in after
        }
