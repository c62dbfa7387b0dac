"""A rebuild's fold on more than one core.

The fold is Python's work, one core's, and it is the rebuild's critical path while
PostgreSQL leaves room on the other core. So the recommendations are split in parts by
id (engine/logread.py `Part`): the build's own process folds the first, a forked
process each other part, reading only its part's recommendation events (and all the
few others: the fold looks up what their handlers keep) from the same exported
snapshot. Each COPYs its records' rows of the per-recommendation tables (status,
scorecard, trends, places) and its side views' rows (the statistics view's escalations
among them) into shared tables committed beforehand, on a connection of its own, so the
two parts' writes run on both cores; the build then sums the
counters from every part's `counter_inputs()`. Recommendations never share a record,
so no part needs another's.

A failure in a part is logged there and raised in the build (which then ends before
anything is swapped in); a failing build kills its parts.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import sys
import time
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

import psycopg
import structlog
from psycopg.sql import SQL, Literal

from projections.engine.bulk import CounterInputs
from projections.engine.logread import Part

log = structlog.get_logger(__name__)

FOLDERS = 2
"""Processes folding recommendation events in a rebuild (two cores)."""

PartWork = Callable[[psycopg.Connection[Any], Part, Callable[[int], None]], "PartResult"]
"""(reader on the build's snapshot, part, on_page(rows)) -> what the part hands back."""

PartResult = tuple[int, int, Callable[[], CounterInputs]]
"""(folded rows read, records, write its rows: returns its counters' inputs)."""


class FoldProcess:
    """One forked part of a fold. `read()` waits for its reading to end, `done()`
    for its rows to be written; both raise if it failed."""

    def __init__(self, database_url: str, snapshot: str, part: Part, work: PartWork) -> None:
        context = multiprocessing.get_context("fork")
        self.progress = context.RawValue("q", 0)
        receiver, sender = context.Pipe(duplex=False)
        self._receiver = receiver
        self.part = part
        self.process = context.Process(
            target=_run,
            args=(database_url, snapshot, part, work, sender, self.progress),
            name=f"fold-part-{part.index}",
            daemon=True,
        )
        self.process.start()
        sender.close()  # the child's end: a dead child reads as EOF here
        self.records = 0
        self.rss_kb = 0
        self.cpu = 0.0
        self.read_cpu = 0.0

    def _expect(self, kind: str, tick: Callable[[], None]) -> tuple[Any, ...]:
        while not self._receiver.poll(0.1):
            tick()
        try:
            message = self._receiver.recv()
        except EOFError:
            message = ("failed", f"exited with code {self.process.exitcode}")
        if message[0] == "failed":
            raise RuntimeError(f"fold part {self.part.index} failed: {message[1]}")
        if message[0] != kind:
            raise RuntimeError(f"fold part {self.part.index} sent {message[0]}, not {kind}")
        return tuple(message[1:])

    def ready(self) -> None:
        """Wait until it has taken the snapshot (the build's reader may end after)."""
        self._expect("ready", lambda: None)

    def read(self, tick: Callable[[], None]) -> int:
        """Wait for its pass over the log; the folded rows it read."""
        rows, self.read_cpu = self._expect("read", tick)
        return int(rows)

    def done(self) -> CounterInputs:
        records, inputs, self.rss_kb, self.cpu = self._expect("done", lambda: None)
        self.records = int(records)
        return inputs  # type: ignore[no-any-return]

    def end(self) -> None:
        if self.process.is_alive():
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._receiver.close()


@contextlib.contextmanager
def fold_processes(
    database_url: str, snapshot: str, parts: list[Part], work: PartWork
) -> Iterator[list[FoldProcess]]:
    """Start a process for each part; on leaving, a failed build kills them (their
    uncommitted rows go with their connections), a good one has waited for them."""
    started: list[FoldProcess] = []
    try:
        for part in parts:
            started.append(FoldProcess(database_url, snapshot, part, work))
        for process in started:
            process.ready()
        yield started
    except BaseException:
        for process in started:
            if process.process.is_alive():
                process.process.kill()
        raise
    finally:
        for process in started:
            process.end()


def _run(
    database_url: str,
    snapshot: str,
    part: Part,
    work: PartWork,
    sender: Connection,
    progress: Any,
) -> None:
    # Forked from a process that may run other threads (a projector's health beats): a
    # lock one of them held at the fork stays held here for good, and the ones that
    # matter are the standard streams' (their buffers', and structlog's write lock per
    # file object). Fresh file objects over the same descriptors give this process its
    # own; the loggers take sys.stderr as it is when each line is written.
    sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
    cpu = time.process_time()
    bound = log.bind(part=part.index, pid=os.getpid())
    try:
        with psycopg.connect(database_url, autocommit=False) as reader:
            reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            reader.execute(SQL("SET TRANSACTION SNAPSHOT {0}").format(Literal(snapshot)))
            reader.execute("SET LOCAL statement_timeout = 0")
            sender.send(("ready",))

            def on_page(rows: int) -> None:
                progress.value += rows

            rows, records, write = work(reader, part, on_page)
            reader.rollback()
        sender.send(("read", rows, time.process_time() - cpu))
        inputs = write()
        rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sender.send(("done", records, inputs, rss_kb, time.process_time() - cpu))
    except BaseException as error:
        bound.exception("fold part failed")
        with contextlib.suppress(Exception):
            sender.send(("failed", f"{type(error).__name__}: {error}"))
        # multiprocessing ends the process with os._exit: nothing of the build's
        # process (its connections) is closed from here.
        raise SystemExit(1) from error
    finally:
        sender.close()
