"""The deadline worker's options that a burst depends on (#16)."""

from __future__ import annotations

from datetime import timedelta

from tests.workflows.conftest import Deadlines


def test_a_burst_of_cached_runs_waits_for_its_worker(deadlines: Deadlines) -> None:
    # At the SDK's 10 s, a loaded worker's burst timed out on the sticky queue and ran
    # again, with the whole history, from the shared queue.
    assert deadlines.worker is not None
    for worker in (deadlines.worker.deadlines, deadlines.worker.letters):
        wait = worker.config()["sticky_queue_schedule_to_start_timeout"]
        assert wait is not None and wait >= timedelta(minutes=1)
