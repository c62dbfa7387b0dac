"""Processes that start together (several API workers, the projector, the relay) all
create the tables and functions they need; they must take turns rather than fail with
"tuple concurrently updated" on PostgreSQL's catalog."""

from __future__ import annotations

import threading

from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.store import Rectrack

STARTERS = 8


def test_many_processes_create_the_tables_at_once(settings: Settings, database_url: str) -> None:
    barrier = threading.Barrier(STARTERS)
    failures: list[BaseException] = []
    started: list[int] = []

    def start() -> None:
        try:
            barrier.wait()
            Rectrack(env=eventsourcing_env(settings, database_url)).close()
            started.append(1)
        except Exception as error:
            failures.append(error)

    for _ in range(3):  # the race is a matter of timing: give it several chances
        threads = [threading.Thread(target=start) for _ in range(STARTERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [str(f) for f in failures] == []
    assert len(started) == 3 * STARTERS
