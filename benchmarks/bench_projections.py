"""Read models at scale: rebuild rate and the status-view queries users run most.

Generates a realistic store through the domain (real Recommendation events saved with
the application's batched import path, on threads): about 155,000 recommendations across
40 authorities, 1,550 places and ten years, each with a lifecycle of 1 to 12 events
(reminders, stakeholders and tag changes included), a little over 1,000,000 events in
all. Then rebuilds every view from the first event, and times the filtered lists, the
overdue lists, one recommendation and the scorecard. Nothing is cached between runs:
each run generates into its own scratch schema, which is dropped at the end.
Targets on a 2-core machine: rebuild >= 50,000 events/s; p99 < 20 ms.

Run: make bench-projections   (RECTRACK_BENCH_SCALE=0.1 for a quick run)
"""

from __future__ import annotations

import os
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import psycopg

from benchmarks.harness import Progress, benchmark_database_url, print_table, scratch_schema
from domain.authority import Authority
from domain.place import Place
from domain.recommendation import Recommendation
from domain.values import (
    DOUBLE_SMART_CRITERIA,
    EventMeta,
    FollowUpKind,
    ImplementationStatus,
    Level,
    NonImplementationReason,
    PlaceType,
    Position,
)
from projections import queries
from projections.rebuild import rebuild
from projections.registry import select
from projections.runner import projector_env
from services.adapters.database import eventsourcing_env
from services.adapters.settings import Settings
from services.application.store import Rectrack

SCALE = float(os.environ.get("RECTRACK_BENCH_SCALE", "1.0"))
RECOMMENDATIONS = int(155_000 * SCALE)
AUTHORITIES = 40
PLACES = max(int(1_550 * SCALE), 20)
YEARS = list(range(2016, 2026))
THEMES = [
    "outdoor exercise",
    "health care",
    "solitary confinement",
    "overcrowding",
    "food",
    "contact with family",
    "complaints",
    "use of force",
    "legal aid",
    "sanitation",
    "education",
    "work",
    "mental health",
    "restraint",
    "searches",
]
KEYWORDS = ["training", "budget", "infrastructure", "records", "staffing", "policy", "cctv"]
GROUPS = ["women", "juveniles", "foreigners", "lgbti", "elderly", "disabled"]
BATCH = 400
QUERY_RUNS = 300
TODAY = date(2026, 1, 15)


def meta(day: date, rng: random.Random) -> EventMeta:
    return EventMeta(f"user-{rng.randrange(50)}", "caseworker", day, str(uuid.uuid4()), None)


def lifecycle(
    rng: random.Random, authority_id: str, place: tuple[str, str] | None
) -> Recommendation:
    year = rng.choice(YEARS)
    drafted = date(year, 1, 1) + timedelta(days=rng.randrange(330))
    rec = Recommendation(
        meta=meta(drafted, rng),
        kind="visit" if place else "thematic",
        text=f"{rng.choice(THEMES).capitalize()}: ensure that {rng.choice(KEYWORDS)} "
        f"measures are taken in every unit ({rng.randrange(10**6)})",
        authority_id=authority_id,
        report_id=None,
        place_id=place[0] if place else None,
        visit_id=None,
        tags={
            "themes": rng.sample(THEMES, rng.choice((1, 1, 2))),
            "keywords": rng.sample(KEYWORDS, rng.choice((0, 1, 2))),
            "vulnerable_groups": rng.sample(GROUPS, rng.choice((0, 0, 1))),
        },
        staff=[f"staff-{rng.randrange(30)}"],
    )
    if rng.random() < 0.04:
        return rec  # still a draft
    rec.record_review(
        meta(drafted, rng), {c: rng.random() < 0.8 for c in DOUBLE_SMART_CRITERIA}, {}
    )
    if rng.random() < 0.15:
        rec.map_stakeholder(meta(drafted, rng), f"unit-{rng.randrange(20)}", Level.HIGH, Level.LOW)
    issued = drafted + timedelta(days=rng.randrange(1, 20))
    due = issued + timedelta(days=30)
    rec.issue(meta(issued, rng), issued, due)
    if rng.random() < 0.35:
        rec.record_reply_reminder(meta(due - timedelta(days=5), rng), due)
    if rng.random() < 0.12:
        if rng.random() < 0.5:
            rec.record_reply_deadline_missed(meta(due + timedelta(days=1), rng), due)
        return rec  # no reply (yet)
    if rng.random() < 0.05:
        others = [t for t in THEMES if t not in rec.tags["themes"]]
        rec.change_tags(meta(issued, rng), {"themes": rng.sample(others, 2)})
    replied = issued + timedelta(days=rng.randrange(5, 70))
    position = rng.choice(
        [Position.ACCEPTED, Position.ACCEPTED, Position.PARTIALLY_ACCEPTED, Position.REJECTED]
    )
    agreed = replied + timedelta(days=90) if position != Position.REJECTED else None
    rec.record_response(meta(replied, rng), replied, position, "Reply", agreed)
    for _ in range(rng.randrange(0, 4)):
        rec.record_follow_up(meta(replied, rng), rng.choice(list(FollowUpKind)), "Followed up")
    if rng.random() < 0.25:
        return rec
    status = rng.choice(list(ImplementationStatus))
    reason = (
        rng.choice(list(NonImplementationReason))
        if status
        in (ImplementationStatus.NOT_IMPLEMENTED, ImplementationStatus.PARTIALLY_IMPLEMENTED)
        else None
    )
    assessed = replied + timedelta(days=rng.randrange(30, 200))
    rec.assess_implementation(meta(assessed, rng), status, reason, False, None)
    if status == ImplementationStatus.IMPLEMENTED and rng.random() < 0.6:
        rec.verify_implementation(meta(assessed, rng), "follow-up visit")
    if rng.random() < 0.5:
        rec.close(meta(assessed, rng))
    return rec


def generate(app: Rectrack) -> tuple[int, list[str], list[str]]:
    rng = random.Random(42)
    first = meta(date(2016, 1, 1), rng)
    authorities = [
        Authority(
            meta=first,
            name=f"Authority {i}",
            kind="ministry",
            jurisdiction="DE",
            parent_id=None,
            reply_period_days=30,
            day_kind="calendar",
            urgent_reply_period_days=5,
            escalation_ladder=[],
        )
        for i in range(AUTHORITIES)
    ]
    places = [
        Place(
            meta=first,
            name=f"Place {i}",
            place_type=rng.choice(list(PlaceType)).value,
            region=None,
            authority_id=str(rng.choice(authorities).id),
        )
        for i in range(PLACES)
    ]
    stored = app.save_batch([*authorities, *places], command_id=str(uuid.uuid4()))
    authority_ids = [str(a.id) for a in authorities]
    place_rows = [(str(p.id), str(p.authority_id)) for p in places]
    progress = Progress("generate store", RECOMMENDATIONS, "recommendations")

    def batches() -> Iterator[tuple[str, list[Recommendation]]]:
        for offset in range(0, RECOMMENDATIONS, BATCH):
            batch = []
            for _ in range(min(BATCH, RECOMMENDATIONS - offset)):
                place = rng.choice(place_rows) if rng.random() < 0.85 else None
                authority = place[1] if place else rng.choice(authority_ids)
                batch.append(lifecycle(rng, authority, place))
            progress.advance(len(batch))
            yield str(uuid.uuid4()), batch

    # Batches hold only new aggregates, so they may be saved on threads: the next batch
    # is built while the previous ones are written.
    stored += sum(app.save_batches(batches(), workers=3))
    return stored, authority_ids, [p[0] for p in place_rows]


def timed(run: Callable[[], Any], runs: int = QUERY_RUNS) -> tuple[float, float]:
    for _ in range(10):
        run()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main() -> None:
    url = benchmark_database_url()
    with scratch_schema(url, "bench_proj") as schema:
        settings = Settings(database_url=url, database_schema=schema, _env_file=None)  # type: ignore[call-arg]
        app = Rectrack(env=eventsourcing_env(settings, url))
        started = time.perf_counter()
        events, authority_ids, _ = generate(app)
        generate_s = time.perf_counter() - started
        app.close()
        with psycopg.connect(url) as conn:
            conn.execute(f'ANALYZE "{schema}".rectrack_events')

        progress = Progress("rebuild all views", events, "events")
        result = rebuild(
            projector_env(settings, url),
            url,
            schema,
            select(None),
            progress=progress.to,
        )
        with psycopg.connect(url, autocommit=True) as conn:
            for spec in select(None):
                for table in spec.view.tables:
                    conn.execute(f'ANALYZE "{schema}".{table.name}')

        rng = random.Random(7)
        with psycopg.connect(url) as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    f'SELECT recommendation_id FROM "{schema}".status_recommendations LIMIT 5000'
                )
            ]

            def filtered() -> None:
                queries.list_recommendations(
                    conn,
                    schema,
                    authority_id=rng.choice(authority_ids),
                    status=rng.choice(["issued", "responded", "assessed", "closed"]),
                    limit=50,
                    today=TODAY,
                )

            def filtered_theme() -> None:
                queries.list_recommendations(
                    conn,
                    schema,
                    theme=rng.choice(THEMES),
                    year=rng.choice(YEARS),
                    limit=50,
                    today=TODAY,
                )

            def overdue() -> None:
                queries.list_recommendations(
                    conn,
                    schema,
                    overdue=True,
                    authority_id=rng.choice(authority_ids),
                    limit=50,
                    today=TODAY,
                )

            def overdue_all() -> None:
                queries.list_recommendations(conn, schema, overdue=True, limit=50, today=TODAY)

            def one() -> None:
                queries.get_recommendation_status(conn, schema, rng.choice(ids), today=TODAY)

            def scorecard() -> None:
                queries.authority_scorecard(conn, schema, year=rng.choice(YEARS), today=TODAY)

            timings = [
                ("filtered list (authority + status)", *timed(filtered)),
                ("filtered list (theme + year)", *timed(filtered_theme)),
                ("overdue list (one authority)", *timed(overdue)),
                ("overdue list (all)", *timed(overdue_all)),
                ("one recommendation", *timed(one)),
                ("scorecard (one year)", *timed(scorecard)),
            ]

    print_table(
        f"Generated store (scale {SCALE})",
        ["recommendations", "events", "seconds", "events/s"],
        [[RECOMMENDATIONS, events, generate_s, events / generate_s]],
    )
    print_table(
        "Rebuild of all views from the first event",
        ["views", "events", "seconds", "events/s", "target", "met"],
        [
            [
                len(select(None)),
                result.events,
                result.seconds,
                result.rate,
                ">= 50,000",
                "yes" if result.rate >= 50_000 else "no",
            ]
        ],
    )
    print_table(
        f"Status-view queries ({QUERY_RUNS} runs each)",
        ["query", "p50 ms", "p99 ms", "target p99", "met"],
        [
            [name, f"{p50:.2f}", f"{p99:.2f}", "< 20 ms", "yes" if p99 < 20 else "no"]
            for name, p50, p99 in timings
        ],
    )


if __name__ == "__main__":
    main()
