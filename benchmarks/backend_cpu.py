"""CPU-seconds on both sides of the socket: this process's and those of the PostgreSQL
backends serving it (with their parallel workers).

On two shared cores a wall time says more about the neighbours than about the code; the
CPU a piece of work costs each side does not. PostgreSQL's processes belong to the
server, so they are found through `pg_stat_activity`: every connection this process
opens inside the block carries an application name of the block's own (libpq's
PGAPPNAME, unless a connection names itself), and the parallel workers they lead count
too. Their CPU is read from /proc every SAMPLE seconds while the work runs: a backend
that ends between two samples loses at most that much of its CPU. The sampling thread's
own CPU is not counted as ours.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg

SAMPLE = 0.05
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class CpuSplit:
    """CPU-seconds of the work: this process (all its threads but the sampler's, and the
    processes it started and waited for) and the PostgreSQL processes that served it."""

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


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


@contextmanager
def measured(database_url: str) -> Iterator[CpuSplit]:
    """Measure the CPU of the work done inside the block; the figures are in the yielded
    CpuSplit once the block has ended."""
    split = CpuSplit()
    last: dict[int, float] = {}
    stop = threading.Event()
    sampler_cpu = [0.0]
    name = f"cpu-{uuid.uuid4().hex[:12]}"

    def sample(conn: psycopg.Connection[tuple[int]]) -> None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %(n)s OR leader_pid IN "
            "(SELECT pid FROM pg_stat_activity WHERE application_name = %(n)s)",
            {"n": name},
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

    with psycopg.connect(database_url, autocommit=True, application_name="cpu-sampler") as conn:
        was = os.environ.get("PGAPPNAME")
        os.environ["PGAPPNAME"] = name
        before = time.process_time()
        children_before = _children_cpu()
        thread = threading.Thread(target=run, args=(conn,), name="backend-cpu", daemon=True)
        thread.start()
        try:
            yield split
        finally:
            if was is None:
                del os.environ["PGAPPNAME"]
            else:
                os.environ["PGAPPNAME"] = was
            stop.set()
            thread.join()
            sample(conn)
            split.python = time.process_time() - before - sampler_cpu[0]
            # Processes it started and waited for (a rebuild's fold parts).
            split.python += _children_cpu() - children_before
            split.backends = dict(last)  # each from its start: all opened in the block
            split.postgres = sum(split.backends.values())
