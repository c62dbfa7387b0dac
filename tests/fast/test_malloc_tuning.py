"""The worker's malloc settings (#16): parsed from the environment, taken by glibc, and
a no-op where the C library is not glibc."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest
from pydantic import ValidationError

from services.adapters import memory_arenas
from services.adapters.memory_arenas import MallocTuning, trim_every, tune_malloc
from services.adapters.settings import Settings

needs_glibc = pytest.mark.skipif(memory_arenas.glibc() is None, reason="glibc only")


def test_the_worker_defaults_to_two_arenas_and_a_64_kb_mmap_threshold() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.worker_malloc_arena_max == 2
    assert settings.worker_malloc_mmap_threshold == 65536
    assert settings.worker_malloc_trim_seconds == 0


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTRACK_WORKER_MALLOC_ARENA_MAX", "0")
    monkeypatch.setenv("RECTRACK_WORKER_MALLOC_MMAP_THRESHOLD", "131072")
    monkeypatch.setenv("RECTRACK_WORKER_MALLOC_TRIM_SECONDS", "30")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.worker_malloc_arena_max == 0
    assert settings.worker_malloc_mmap_threshold == 131072
    assert settings.worker_malloc_trim_seconds == 30


def test_a_threshold_glibc_would_refuse_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RECTRACK_WORKER_MALLOC_MMAP_THRESHOLD", str(64 * 1024 * 1024))
    with pytest.raises(ValidationError):
        Settings(_env_file=None)  # type: ignore[call-arg]


# In a process of its own. glibc maps a block on its own only when the heap's top cannot
# serve it, and then only above the threshold: an 8 MB block is mapped under glibc's
# initial threshold (128 KB) and comes from the heap under a 16 MB one (mallinfo2's hblks
# counts the mapped blocks).
MAPPED_BLOCKS = """
import ctypes, sys
from services.adapters.memory_arenas import MallocTuning, glibc, tune_malloc

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = glibc()
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
threshold = int(sys.argv[1])
if threshold:
    assert tune_malloc(MallocTuning(arena_max=2, mmap_threshold=threshold))
before = libc.mallinfo2().hblks
block = libc.malloc(8 * 1024 * 1024)
print(libc.mallinfo2().hblks - before)
"""


def mapped_blocks(threshold: int) -> int:
    run = subprocess.run(
        [sys.executable, "-c", MAPPED_BLOCKS, str(threshold)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(run.stdout.split()[-1])


@needs_glibc
def test_glibc_takes_the_mmap_threshold() -> None:
    assert mapped_blocks(0) == 1
    assert mapped_blocks(16 * 1024 * 1024) == 0


def test_without_glibc_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory_arenas, "glibc", lambda: None)
    assert tune_malloc(MallocTuning()) is False
    assert memory_arenas.trim() is False


async def test_the_trims_stop_with_the_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    trims: list[int] = []

    def trim() -> bool:
        trims.append(1)
        if len(trims) == 2:
            stop.set()
        return True

    monkeypatch.setattr(memory_arenas, "trim", trim)
    await asyncio.wait_for(trim_every(stop, 0.001), timeout=30)
    assert len(trims) == 2


async def test_a_stopped_worker_does_not_trim(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    stop.set()
    trims: list[int] = []
    monkeypatch.setattr(memory_arenas, "trim", lambda: trims.append(1) or True)
    await trim_every(stop, 0.001)
    assert trims == []
