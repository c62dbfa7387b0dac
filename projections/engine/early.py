"""Folding an import's new recommendations into the views while it is still checking
rows, in a process of its own: the check pass keeps one core busy with Python, and the
views' fold (decoding every event, the fold's Python, PostgreSQL's writes) used to come
after it; here it runs on the other core as each batch is spilled, so what is left when
the rows are stored is the log's other events and the positions.

The process (`python -m projections.engine.early`) holds the views paused from before
their positions are read until it commits (engine/incremental.py `Follower`, whose
transaction it uses), so a projector running beside skips everything applied here. It
first applies what is committed already (so the places the fold looks up are there),
then folds each batch it is told of, read from the importer's spill file at an offset:
a pickle of `(ids, versions, topics, states)`, the ids as 16 bytes each, concatenated,
the states as the store writes them (`Batch.encode`). On `finish` it reads the log from
where it caught up, skipping the events it folded (by record and version), applies the
rest, moves the positions and commits. The rows are written before the events are
committed, in its open transaction: if the import stops (a rejected file, a failed
batch, `abort`, the parent gone), the transaction is rolled back and nothing is left.

Protocol, one line each: the parent writes a JSON config, then `batch OFFSET SIZE`
lines, then `finish` (or closes stdin to abort); the child answers `ready POSITION` on
its answer pipe once paused and caught up, and `done {CaughtUp as JSON}` after commit.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import resource
import subprocess
import sys
from typing import IO, Any

import structlog

from projections.engine.incremental import CaughtUp, Follower
from projections.engine.registry import ViewSpec, select

log = structlog.get_logger(__name__)

__all__ = ["EarlyFold", "encode_columns"]


def encode_columns(
    ids: bytes, versions: list[int], topics: list[str], states: list[bytes]
) -> bytes:
    """A batch as the fold process reads it from the spill file."""
    return pickle.dumps((ids, versions, topics, states), protocol=pickle.HIGHEST_PROTOCOL)


class EarlyFold:
    """The parent's handle on the fold process. Leaving the block without `finish()`
    aborts it: its transaction is rolled back."""

    def __init__(
        self,
        env: dict[str, str],
        database_url: str,
        schema: str,
        specs: list[ViewSpec],
        *,
        spill: IO[bytes],
        command_id: str,
    ) -> None:
        self.config = {
            "env": env,
            "database_url": database_url,
            "schema": schema,
            "views": [spec.name for spec in specs],
            "command_id": command_id,
            "spill": spill.fileno(),
        }
        self.spill = spill.fileno()
        self.process: subprocess.Popen[str] | None = None
        self.position: int | None = None

    def __enter__(self) -> EarlyFold:
        answer_read, answer_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(answer_write)],
                stdin=subprocess.PIPE,
                text=True,
                pass_fds=(self.spill, answer_write),
            )
        finally:
            os.close(answer_write)
        self.answers = os.fdopen(answer_read, "r")
        self._send(json.dumps(self.config))
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        assert self.process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.close()  # without `finish`: the child rolls back
        self.process.wait()
        self.answers.close()
        self.process = None

    def _send(self, line: str) -> None:
        assert self.process is not None and self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def _answer(self, expected: str) -> str:
        line = self.answers.readline()
        kind, _, rest = line.strip().partition(" ")
        if kind != expected:
            assert self.process is not None
            code = self.process.wait()
            raise RuntimeError(f"the views' fold process stopped ({code}) before {expected!r}")
        return rest

    def batch(self, offset: int, size: int) -> None:
        """A batch is in the spill file (flushed) at offset, size bytes long."""
        try:
            self._send(f"batch {offset} {size}")
        except BrokenPipeError:
            assert self.process is not None
            code = self.process.wait()  # it failed, and logged why
            raise RuntimeError(f"the views' fold process stopped ({code})") from None

    def ready(self) -> int:
        """Wait until the views are paused and caught up: nothing the import stores may be
        committed before. The position they were caught up to."""
        if self.position is None:
            self.position = int(self._answer("ready"))
        return self.position

    def finish(self) -> CaughtUp:
        """Apply the rest of the log, move the positions, commit; what was applied."""
        self.ready()
        self._send("finish")
        result = CaughtUp(**json.loads(self._answer("done")))
        self.__exit__()
        return result


def _serve(answers: IO[str]) -> int:
    config = json.loads(sys.stdin.readline() or "null")
    if config is None:
        return 0
    spill = config["spill"]
    specs = select(config["views"])
    bound = log.bind(command_id=config["command_id"], schema=config["schema"])
    follower = Follower(
        config["env"],
        config["database_url"],
        config["schema"],
        specs,
        command_id=config["command_id"],
    )
    with follower:
        answers.write(f"ready {follower.catch_up()}\n")
        answers.flush()
        bound.info("views paused and caught up for the import", cpu=_cpu())
        for line in sys.stdin:
            command, *args = line.split()
            if command == "batch":
                offset, size = int(args[0]), int(args[1])
                columns: Any = pickle.loads(os.pread(spill, size, offset))
                follower.fold_early(*columns)
            elif command == "finish":
                bound.info("import stored; the views' early fold finishing", cpu=_cpu())
                result = follower.finish()
                bound.info("the views' early fold committed", cpu=_cpu())
                answers.write(f"done {json.dumps(result.__dict__)}\n")
                answers.flush()
                return 0
        bound.info("import stopped; the views' early fold is rolled back")
    return 0


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def main() -> int:
    from services.adapters.log_config import configure_logging

    configure_logging()
    with os.fdopen(int(sys.argv[1]), "w") as answers:
        try:
            return _serve(answers)
        except Exception:
            log.exception("the views' early fold failed; they are unchanged")
            return 1


if __name__ == "__main__":
    sys.exit(main())
