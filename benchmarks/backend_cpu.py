"""CPU-seconds on both sides of the socket: this process's and those of the PostgreSQL
backends serving it (with their parallel workers).

On two shared cores a wall time says more about the neighbours than about the code; the
CPU a piece of work costs each side does not. PostgreSQL's processes belong to the
server, so they are found through `pg_stat_activity` (the backends whose client port is
one of this process's sockets, and the parallel workers they lead) and read from /proc
every SAMPLE seconds while the work runs: a backend that ends between two samples loses
at most that much of its CPU. The sampling thread's own CPU is not counted as ours.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psutil
import psycopg

SAMPLE = 0.05
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuSplit:
    """CPU-seconds of the work: this process (all its threads but the sampler's) and the
    PostgreSQL processes that served it."""

    python: float = 0.0
    postgres: float = 0.0
    backends: dict[int, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return self.python + self.postgres


def _proc_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            parts = stat.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None
    return (int(parts[11]) + int(parts[12])) / _TICK  # utime, stime


@contextmanager
def measured(database_url: str) -> Iterator[CpuSplit]:
    """Measure the CPU of the work done inside the block; the figures are in the yielded
    CpuSplit once the block has ended."""
    split = CpuSplit()
    last: dict[int, float] = {}
    stop = threading.Event()
    sampler_cpu = [0.0]
    me = psutil.Process()

    def sample(conn: psycopg.Connection[tuple[int]]) -> None:
        ports = [c.laddr.port for c in me.net_connections(kind="tcp") if c.raddr]
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND "
            "(client_port = ANY(%(p)s) OR leader_pid IN (SELECT pid FROM "
            "pg_stat_activity WHERE client_port = ANY(%(p)s)))",
            {"p": ports},
        ).fetchall()
        for (pid,) in rows:
            cpu = _proc_cpu(pid)
            if cpu is not None:
                last[pid] = cpu

    def run(conn: psycopg.Connection[tuple[int]]) -> None:
        started = time.thread_time()
        while not stop.wait(SAMPLE):
            sample(conn)
        sampler_cpu[0] = time.thread_time() - started

    with psycopg.connect(database_url, autocommit=True) as conn:
        sample(conn)
        # Backends open before the block count from here on; the others from their start.
        initial = dict(last)
        before = time.process_time()
        thread = threading.Thread(target=run, args=(conn,), name="backend-cpu", daemon=True)
        thread.start()
        try:
            yield split
        finally:
            stop.set()
            thread.join()
            sample(conn)
            split.python = time.process_time() - before - sampler_cpu[0]
            split.backends = {pid: cpu - initial.get(pid, 0.0) for pid, cpu in last.items()}
            split.postgres = sum(split.backends.values())
