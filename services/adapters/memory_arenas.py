"""glibc's malloc, set up at the worker's start to give freed memory back (#16).

An escalation burst allocates and frees a great deal from many threads at once (the
activity threads, Temporal's Rust core, psycopg's pool). glibc then keeps what was freed:
each thread gets an arena of its own (up to 8 per core), and every big mapped block freed
raises the dynamic mmap threshold (up to 32 MB) and the trim threshold with it (twice
that), so big blocks come from the heaps afterwards and their free tops are kept. The
worker's RSS grew from ~290 MB at 1,000 due at once to ~590 MB at 10,000 without a leak.
`mallopt` from inside the process gives `rectrack up`, compose, Kubernetes and the
benchmarks the same behaviour without an environment variable. Elsewhere (musl, macOS)
it does nothing but say so.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import sys
from dataclasses import dataclass
from functools import cache

import structlog

log = structlog.get_logger(__name__)

# mallopt's parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


@dataclass(frozen=True)
class MallocTuning:
    """0 in a field leaves glibc's default (and its MALLOC_* variables) in place."""

    arena_max: int = 2
    mmap_threshold: int = 65536
    trim_threshold: int = 0


@cache
def glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc, else None (musl has no `gnu_get_libc_version`)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    if not all(hasattr(libc, name) for name in ("gnu_get_libc_version", "mallopt")):
        return None
    libc.gnu_get_libc_version.restype = ctypes.c_char_p
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    libc.malloc_trim.restype = ctypes.c_int
    return libc


def tune_malloc(tuning: MallocTuning) -> bool:
    """Applies the settings; True when glibc took every one that was set. Call it early:
    a thread that already has its arena keeps it."""
    libc = glibc()
    if libc is None:
        log.info("malloc tuning skipped: the C library is not glibc", platform=sys.platform)
        return False
    wanted = [
        (M_ARENA_MAX, tuning.arena_max),
        (M_MMAP_THRESHOLD, tuning.mmap_threshold),
        (M_TRIM_THRESHOLD, tuning.trim_threshold),
    ]
    taken = [libc.mallopt(param, value) == 1 for param, value in wanted if value > 0]
    ok = all(taken)
    log.info(
        "malloc tuned" if ok else "malloc tuning refused by glibc",
        arena_max=tuning.arena_max,
        mmap_threshold=tuning.mmap_threshold,
        trim_threshold=tuning.trim_threshold,
    )
    return ok


def trim() -> bool:
    """Hands the free pages of every arena back to the kernel; True if any were."""
    libc = glibc()
    return libc is not None and libc.malloc_trim(0) == 1


async def trim_every(stop: asyncio.Event, seconds: float) -> None:
    """Trims on a period until `stop`: a burst's freed memory goes back while the worker
    waits for the next one. malloc_trim walks the arenas under their locks, so it runs
    in a thread, off the event loop."""
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        if not stop.is_set():
            await asyncio.to_thread(trim)
