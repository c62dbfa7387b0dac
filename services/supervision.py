"""How `rectrack up` keeps its children tied to it and alive (services/stack.py).

- Each child asks the kernel for SIGTERM when `up` dies (prctl PR_SET_PDEATHSIG on
  Linux), so a `kill -9` of `up` ends them too, although they run in their own sessions.
- A watchdog process, in a session of its own, waits for `up` to be gone and then ends
  whatever `up` recorded as its children and stops the embedded PostgreSQL (which is not
  a child: pg_ctl daemonises it).
- What `up` started is recorded under data_dir/run, so a second `up` after a crash ends
  the leftovers of the first (identified by pid and start time, never by name) before it
  binds its ports.
- A child that exits is started again after a back-off that doubles up to a limit and
  starts over once the child has stayed up a while.
- SIGINT, SIGTERM and SIGHUP stop `up` through its orderly stop from before its first
  child is spawned to its last line (`StopSignals`).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import structlog

from services.adapters.log_config import open_log_file

log = structlog.get_logger(__name__)

PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
WATCHDOG_ENTRY = "import sys; from services.supervision import watchdog_main; watchdog_main()"


def dying_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child receive SIGTERM when this process dies (Linux);
    None elsewhere (the watchdog still ends the children)."""
    if _LIBC is None:
        return None
    parent = os.getpid()
    libc = _LIBC

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the request took effect
            os._exit(1)

    return preexec


@dataclass
class Backoff:
    """Restart delays: first, 2x first, ... up to longest; back to first after a child
    ran for reset_after seconds."""

    first: float = 1.0
    longest: float = 30.0
    reset_after: float = 60.0
    failures: int = 0

    def delay(self, ran_for: float) -> float:
        if ran_for >= self.reset_after:
            self.failures = 0
        wait = min(self.longest, self.first * 2**self.failures)
        self.failures += 1
        return wait


class StopSignals:
    """How `up` hears that it is to stop, installed before it spawns anything.

    While `up` starts, the first signal raises KeyboardInterrupt, which its main answers
    with the orderly stop; inside `held()` (a child forked and not yet on `up`'s list, so
    that the stop would not know it) it is raised when the block ends. Once `up` runs
    (`waiting()`) or stops (`stopping()`), a signal only sets `requested`: a second
    Ctrl-C never cuts the stop short and leaves children or the database running.

    SIGINT is handled even when `up` inherited it as ignored, as a shell's background job
    does (`rectrack up &`, a benchmark run in the background): `up` obeyed it once
    running anyway, and a script's SIGINT while it started was lost, so it never stopped
    (#16). SIGHUP inherited as ignored (`nohup`) stays ignored."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.requested = threading.Event()
        self._previous: dict[signal.Signals, Any] = {}
        self._raising = False
        self._held = 0

    def install(self) -> None:
        """From now on the signals stop `up` (main thread only: elsewhere they cannot be
        handled, and whoever runs `up` in a thread stops it itself)."""
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        for sig in self.SIGNALS:
            if sig == signal.SIGHUP and signal.getsignal(sig) == signal.SIG_IGN:
                continue
            self._previous[sig] = signal.signal(sig, self._heard)
        self._raising = True

    def waiting(self) -> None:
        """`up` is started: signals only set `requested`, which its loop waits on."""
        self._raising = False

    def stopping(self) -> None:
        """`up` stops: no signal interrupts that from here on."""
        self.install()
        self._raising = False

    def restore(self) -> None:
        """The handlers from before `install()` (`up` has stopped)."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _heard(self, signum: int, frame: object) -> None:
        # Nothing logged here: the main thread may be inside the logger, holding its lock.
        self.requested.set()
        if self._raising and not self._held:
            self._raising = False
            raise KeyboardInterrupt(signal.Signals(signum).name)

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """A signal arriving in the block interrupts `up` only once the block is done."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
        if self._raising and not self._held and self.requested.is_set():
            self._raising = False
            raise KeyboardInterrupt("held")


# --- what `up` started, on disk --------------------------------------------------------------


def run_file(data_dir: Path) -> Path:
    return data_dir / "run" / "children.json"


def _identity(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _zombie(pid: int) -> bool:
    """Killed but not yet reaped by its parent: as good as gone."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def record(data_dir: Path, pids: dict[str, int]) -> None:
    """Writes `up`'s own pid and its children's, each with its start time."""
    entries = {
        name: {"pid": pid, "started": _identity(pid)}
        for name, pid in {"up": os.getpid(), **pids}.items()
    }
    path = run_file(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(entries))
    temporary.replace(path)


def forget(data_dir: Path) -> None:
    run_file(data_dir).unlink(missing_ok=True)


def _recorded(data_dir: Path) -> dict[str, psutil.Process]:
    """The recorded processes still running as the same processes (pid and start time)."""
    try:
        entries = json.loads(run_file(data_dir).read_text())
    except (OSError, ValueError):
        return {}
    alive: dict[str, psutil.Process] = {}
    for name, entry in entries.items():
        try:
            process = psutil.Process(int(entry["pid"]))
            if entry.get("started") is not None and process.create_time() == entry["started"]:
                alive[name] = process
        except (psutil.Error, KeyError, TypeError, ValueError):
            continue
    return alive


def end_recorded(
    data_dir: Path, *, keep: tuple[str, ...] = ("up",), timeout: float = 15.0
) -> list[str]:
    """Ends the recorded processes still running but those named in `keep` (SIGTERM to
    each one's session, then SIGKILL after `timeout`); returns their names."""
    leftovers = {n: p for n, p in _recorded(data_dir).items() if n not in keep}
    for name, process in leftovers.items():
        log.warning("ending a process left by an earlier run", process=name, pid=process.pid)
        _signal_session(process, signal.SIGTERM)
    _, still = psutil.wait_procs(list(leftovers.values()), timeout=timeout)
    for process in still:
        _signal_session(process, signal.SIGKILL)
    psutil.wait_procs(still, timeout=5)
    return sorted(leftovers)


def earlier_up_running(data_dir: Path) -> int | None:
    """The pid of another `up` on this data directory that is still running."""
    process = _recorded(data_dir).get("up")
    return process.pid if process is not None and process.pid != os.getpid() else None


def _signal_session(process: psutil.Process, sig: signal.Signals) -> None:
    # Each child leads its own session and process group: the group takes its helpers.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)
    with contextlib.suppress(psutil.Error):
        process.send_signal(sig)


# --- the watchdog ---------------------------------------------------------------------------


def start_watchdog(data_dir: Path, embedded: bool) -> subprocess.Popen[bytes]:
    """Starts the watchdog of this `up` (its own session: it outlives a killed group)."""
    log_file = open_log_file(data_dir / "logs" / "watchdog.log")
    try:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                WATCHDOG_ENTRY,
                str(os.getpid()),
                str(_identity(os.getpid())),
                str(data_dir),
                "embedded" if embedded else "external",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log_file.close()


def watchdog_main() -> None:
    """`python -c WATCHDOG_ENTRY <up pid> <up start time> <data dir> embedded|external`."""
    from services.adapters.database import stop_embedded_postgres

    pid, started, data_dir, mode = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
    while str(_identity(pid)) == started and not _zombie(pid):
        time.sleep(0.5)
    ended = end_recorded(data_dir, keep=("up", "watchdog"))
    stopped = mode == "embedded" and stop_embedded_postgres(data_dir)
    if ended or stopped:
        print(
            f"rectrack watchdog: up ({pid}) is gone; ended {', '.join(ended) or 'no process'}"
            + ("; stopped the embedded PostgreSQL" if stopped else ""),
            flush=True,
        )
    forget(data_dir)


def postgres_running(data_dir: Path) -> bool:
    """Whether the embedded server of data_dir runs (its postmaster.pid names a postgres)."""
    try:
        pid = int((data_dir / "postgres" / "postmaster.pid").read_text().splitlines()[0])
        return psutil.Process(pid).name() == "postgres"
    except (OSError, ValueError, IndexError, psutil.Error):
        return False
