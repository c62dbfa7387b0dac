"""Event-store write paths on PostgreSQL.

1. one command at a time: a recommendation's lifecycle of six events (drafted, reviewed,
   issued, response received, follow-up recorded, implementation assessed), each its own
   command, through rectrack's executor (command model, idempotency log), against
   the bare eventsourcing library doing the same six load-and-save commands with the same
   payloads, in alternating rounds (so both see the same load on a shared machine). Per
   path: commands/s, the process's CPU per command, and the first and last round's rate
   (a rate that falls from round to round is a cost that grows with the store). Target
   (#16): rectrack at >= 85% of the bare library.
2. the batched import path: many aggregates per transaction. Target: >= 20,000 events/s.

Run: make bench-store  (options: --lifecycles N --import-recommendations N --batch N)
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder

from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from domain.recommendation import Recommendation
from domain.transcodings import ALL_TRANSCODINGS
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    EventMeta,
    FollowUpKind,
    ImplementationStatus,
    Position,
    RecommendationKind,
)
from services.adapters.database import eventsourcing_env
from services.adapters.log_config import configure_logging
from services.adapters.settings import Settings
from services.application.commands.recommendations import (
    AssessImplementation,
    DraftRecommendation,
    IssueRecommendation,
    RecordFollowUp,
    RecordResponse,
    RecordReview,
)
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.builders import DAY, Commander, authority, import_meta, unsaved_recommendation

TEXT = "Ensure that every detainee has at least one hour of outdoor exercise a day"
DUE = date(2026, 2, 4)
BENCH = Caller("bench", "caseworker")


def meta() -> EventMeta:
    return import_meta(DAY, "bench")


class BareRecommendation(Aggregate):
    """The same six events, on the bare library: no rules, no command log."""

    @event("Drafted")
    def __init__(self, meta: EventMeta, kind: str, text: str, authority_id: str) -> None:
        self.text = text

    @event("Reviewed")
    def review(self, meta: EventMeta, criteria: dict[str, bool], notes: dict[str, str]) -> None:
        pass

    @event("Issued")
    def issue(self, meta: EventMeta, issued_on: date, reply_due: date) -> None:
        pass

    @event("ResponseReceived")
    def respond(self, meta: EventMeta, received_on: date, position: str, text: str) -> None:
        pass

    @event("FollowUpRecorded")
    def follow_up(self, meta: EventMeta, kind: str, summary: str) -> None:
        pass

    @event("ImplementationAssessed")
    def assess(self, meta: EventMeta, status: str, verified: bool) -> None:
        pass


class BareApplication(Application[UUID]):
    name = "bare"

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in ALL_TRANSCODINGS:
            transcoder.register(transcoding)

    def command(self, aggregate_id: UUID, action: Any) -> None:
        aggregate: BareRecommendation = self.repository.get(aggregate_id)
        action(aggregate)
        self.save(aggregate)


def run_bare(app: BareApplication, lifecycles: int, progress: Progress) -> float:
    criteria = dict.fromkeys(DOUBLE_SMART_CRITERIA, True)
    started = time.perf_counter()
    for _ in range(lifecycles):
        rec = BareRecommendation(meta(), "visit", TEXT, str(uuid.uuid4()))
        app.save(rec)
        app.command(rec.id, lambda r: r.review(meta(), criteria, {}))
        app.command(rec.id, lambda r: r.issue(meta(), DAY, date(2026, 2, 4)))
        app.command(rec.id, lambda r: r.respond(meta(), DAY, "accepted", "We agree"))
        app.command(rec.id, lambda r: r.follow_up(meta(), "letter", "Asked for the plan"))
        app.command(rec.id, lambda r: r.assess(meta(), "in_progress", False))
        progress.advance(6)
    return time.perf_counter() - started


def run_rectrack(run: Commander, authority_id: UUID, lifecycles: int, progress: Progress) -> float:
    """The same six commands, each through the executor as the API and the CLI run them."""
    review = RecordReview(criteria=dict.fromkeys(DOUBLE_SMART_CRITERIA, True))
    issue = IssueRecommendation(issued_on=DAY)
    respond = RecordResponse(received_on=DAY, position=Position.ACCEPTED, text="We agree")
    follow_up = RecordFollowUp(kind=FollowUpKind.LETTER, summary="Asked for the plan")
    assess = AssessImplementation(status=ImplementationStatus.IN_PROGRESS)
    started = time.perf_counter()
    for _ in range(lifecycles):
        draft = DraftRecommendation(
            kind=RecommendationKind.VISIT, text=TEXT, authority_id=authority_id
        )
        rec_id = run(draft).aggregate_id
        for command in (review, issue, respond, follow_up, assess):
            run(command, rec_id)
        progress.advance(6)
    return time.perf_counter() - started


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Rounds:
    """One path's rounds: wall and process CPU seconds of each."""

    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)

    def timed(self, run: Callable[[], float]) -> None:
        cpu = cpu_seconds()
        self.walls.append(run())
        self.cpus.append(cpu_seconds() - cpu)

    def row(self, per_round: int, floor: Rounds | None) -> list[object]:
        commands = per_round * len(self.walls)
        rate = commands / sum(self.walls)
        share = "100%" if floor is None else f"{100 * rate / floor.rate(per_round):.0f}%"
        return [
            self.name,
            commands,
            sum(self.walls),
            rate,
            1000 * sum(self.cpus) / commands,
            per_round / self.walls[0],
            per_round / self.walls[-1],
            share,
            "" if floor is None else ">= 85%",
        ]

    def rate(self, per_round: int) -> float:
        return per_round * len(self.walls) / sum(self.walls)


def build_import(authority_id: UUID, count: int) -> list[Recommendation]:
    """The six events of a lifecycle on unsaved aggregates, for the batched import."""
    criteria = dict.fromkeys(DOUBLE_SMART_CRITERIA, True)
    batch = []
    for _ in range(count):
        tags = {"themes": ["outdoor exercise"]}
        rec = unsaved_recommendation(authority_id, DAY, text=TEXT, tags=tags, meta=meta())
        rec.record_review(meta(), criteria, {})
        rec.issue(meta(), DAY, DUE)
        rec.record_response(meta(), DAY, Position.ACCEPTED, "We agree", None)
        rec.record_follow_up(meta(), FollowUpKind.LETTER, "Asked for the plan")
        rec.assess_implementation(meta(), ImplementationStatus.IN_PROGRESS, None, False, None)
        batch.append(rec)
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=6, help="alternating rounds per path")
    parser.add_argument("--import-recommendations", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500, help="aggregates per transaction")
    parser.add_argument("--workers", type=int, default=3, help="import threads")
    args = parser.parse_args()

    url = benchmark_database_url()
    with scratch_schema(url, "bench_store") as schema:
        settings = Settings(
            database_url=url,
            database_schema=schema,
            log_level="warning",
            _env_file=None,  # type: ignore[call-arg]
        )
        # Each command's "command applied" line would be measured too; the API runs at
        # warning level under load as well.
        configure_logging(settings)
        env = eventsourcing_env(settings, url)
        bare_env = {**env, "PERSISTENCE_MODULE": "eventsourcing.postgres"}
        bare_env.pop("APPLICATION_RECORDER_TOPIC")
        bare = BareApplication(env=bare_env)
        app = Rectrack(env=env)
        run = Commander(Executor(app), BENCH)
        authority_id = authority(run, name="Ministry")

        per_round = max(1, args.lifecycles // args.rounds)
        commands = per_round * args.rounds * 6
        # Warm both paths (connections, prepared statements) before measuring.
        run_bare(bare, 10, Progress("warm-up bare", 60, "commands"))
        run_rectrack(run, authority_id, 10, Progress("warm-up rectrack", 60, "commands"))
        floor, ours = Rounds("bare eventsourcing"), Rounds("rectrack (command log)")
        progress = Progress("bare library, rectrack", 2 * commands, "commands")
        load_before = os.getloadavg()[0]
        for _ in range(args.rounds):
            floor.timed(lambda: run_bare(bare, per_round, progress))
            ours.timed(lambda: run_rectrack(run, authority_id, per_round, progress))
        load_after = os.getloadavg()[0]

        progress = Progress("batched import", args.import_recommendations * 6, "events")
        batch = build_import(authority_id, args.import_recommendations)
        started = time.perf_counter()
        stored = 0
        chunks = [batch[i : i + args.batch] for i in range(0, len(batch), args.batch)]
        for count in app.save_batches(
            ((f"import-{uuid.uuid4()}", chunk) for chunk in chunks), workers=args.workers
        ):
            stored += count
            progress.advance(count)
        import_s = time.perf_counter() - started
        app.close()
        bare.close()

    six = per_round * 6
    print_table(
        "Event store on PostgreSQL (one command at a time; each lifecycle = 6 commands/events; "
        f"{args.rounds} alternating rounds; load average {load_before:.1f} -> {load_after:.1f})",
        [
            "path",
            "commands",
            "seconds",
            "commands/s",
            "CPU ms/command",
            "first round/s",
            "last round/s",
            "vs bare library",
            "target",
        ],
        [floor.row(six, None), ours.row(six, floor)],
    )
    print_table(
        "Batched import (many aggregates per transaction)",
        ["aggregates/tx", "threads", "events", "seconds", "events/s", "target"],
        [[args.batch, args.workers, stored, import_s, stored / import_s, ">= 20,000"]],
    )


if __name__ == "__main__":
    main()
