"""Authentication and access records, against their floors in the same run
(`make bench-auth`).

- a bearer token answered from the cache vs. loading its user from PostgreSQL (the floor
  the cache must beat), and a spray of well-formed fake tokens: how many store reads it
  caused (the target: none once the listener knows who exists);
- recording a read of an internal record (one event in the reader's daily access log,
  held in memory) vs. the bare library appending one event to a held aggregate.
"""

from __future__ import annotations

import time
from uuid import uuid4

from eventsourcing.domain import Aggregate, event

from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from domain.access import AccessKind
from domain.tokens import TokenScope
from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.api.token_cache import Authenticator
from services.application.access_records import AccessRecorder
from services.application.bootstrap import issue_token, issue_user_token
from services.application.executor import Caller, Executor
from services.application.store import Rectrack

ROUNDS = 2_000
SPRAY = 10_000
READS = 500


def _rate(n: int, seconds: float) -> float:
    return n / seconds if seconds else float("inf")


def main() -> None:
    url = benchmark_database_url()
    with scratch_schema(url, "bench_auth") as schema:
        settings = Settings(database_url=url, database_schema=schema, _env_file=None)  # type: ignore[call-arg]
        app = Rectrack(env=eventsourcing_env(settings, url))
        try:
            executor = Executor(app)
            issue_user_token(executor, "bot", "Bot", Role.CASEWORKER, label="bench")
            caller = Caller("bench", Role.ADMIN.value)
            token = issue_token(executor, caller, user_id_for("bot"), "bench", TokenScope.READ)
            rows = _authentication(app, token.token)
            rows += _access(app)
        finally:
            app.close()
    print_table("authentication and access records", ["measure", "figure", "floor", "ratio"], rows)


def _authentication(app: Rectrack, token: str) -> list[list[object]]:
    progress = Progress("authentication", ROUNDS * 2 + SPRAY, "lookups")
    started = time.perf_counter()
    for _ in range(ROUNDS):
        app.find(User, user_id_for("bot"))
        progress.advance()
    floor = _rate(ROUNDS, time.perf_counter() - started)
    authenticator = Authenticator(app)
    authenticator.listening({user_id_for("bot")})
    started = time.perf_counter()
    for _ in range(ROUNDS):
        assert authenticator.authenticate(token) is not None
        progress.advance()
    cached = _rate(ROUNDS, time.perf_counter() - started)
    loads = authenticator.loads
    started = time.perf_counter()
    for i in range(SPRAY):
        fake = f"rt_{uuid4().hex}_{'x' * 36}{i:06d}"
        assert authenticator.authenticate(fake) is None
        progress.advance()
    spray = _rate(SPRAY, time.perf_counter() - started)
    return [
        ["token answered from the cache (lookups/s)", cached, floor, cached / floor],
        ["sprayed fake tokens refused (lookups/s)", spray, floor, spray / floor],
        [f"store reads caused by {SPRAY:,} fakes", authenticator.loads - loads, 0, "-"],
    ]


class Counter(Aggregate):
    """The floor: a bare aggregate held in memory, one event per save."""

    @event("Incremented")
    def increment(self) -> None:
        pass


def _access(app: Rectrack) -> list[list[object]]:
    progress = Progress("access records", READS * 2, "events")
    held = Counter()
    app.save(held)
    started = time.perf_counter()
    for _ in range(READS):
        held.increment()
        app.save(held)
        progress.advance()
    floor = _rate(READS, time.perf_counter() - started)
    recorder = AccessRecorder(app)
    started = time.perf_counter()
    for _ in range(READS):
        recorder.record(
            reader_id="reader", reader_role="auditor", kind=AccessKind.HISTORY, query={"q": "x"}
        )
        progress.advance()
    recorded = _rate(READS, time.perf_counter() - started)
    return [["read recorded as an event (reads/s)", recorded, floor, recorded / floor]]


if __name__ == "__main__":
    main()
