"""`rectrack audit`: what an auditor runs — a recommendation's full history, state as of
a past date, a replay that proves the views match the events, and the tamper check."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import structlog

from domain.access import AccessKind
from domain.errors import NotFound
from projections.engine.as_of import recommendation_as_of, status_counts_as_of
from projections.engine.registry import VIEWS
from projections.engine.replay import replay_and_compare
from projections.engine.runner import projector_env
from projections.facts import FactMapper
from projections.views.timeline import audit_timeline
from services.adapters.settings import Settings
from services.application.runtime import build_runtime
from services.cli import access, transparency
from services.cli.progress import Progress

log = structlog.get_logger(__name__)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"DATE must be YYYY-MM-DD, not {text!r}") from None


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"RECOMMENDATION_ID must be a UUID, not {text!r}"
        ) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds this group's sub-commands to the `rectrack` parser."""
    group = subparsers.add_parser("audit", help="history, as-of state, replay, tamper check")
    commands = group.add_subparsers(dest="audit_command", required=True, metavar="ACTION")

    history = commands.add_parser("history", help="every event of a recommendation, in order")
    history.add_argument("recommendation_id", type=_uuid, metavar="RECOMMENDATION_ID")
    history.add_argument("--json", action="store_true", help="one JSON document")
    history.set_defaults(handler=run_history)
    from services.cli.evidence import register as register_evidence  # its own module

    register_evidence(commands)

    as_of = commands.add_parser(
        "as-of", help="a recommendation's state, or all status counts, at the end of DATE"
    )
    as_of.add_argument("day", type=_day, metavar="DATE")
    as_of.add_argument("recommendation_id", type=_uuid, nargs="?", metavar="RECOMMENDATION_ID")
    as_of.add_argument(
        "--basis",
        choices=["business", "recorded"],
        default="business",
        help="count what had happened by then (business date, the default, as in the API) "
        "or what had been recorded by then",
    )
    as_of.set_defaults(handler=run_as_of)

    replay = commands.add_parser(
        "replay", help="replay every event into fresh views and compare with the live ones"
    )
    replay.add_argument("names", nargs="*", metavar="VIEW", help=f"of {', '.join(VIEWS)}")
    replay.set_defaults(handler=run_replay)

    verify = commands.add_parser(
        "verify",
        help="prove the event log is an append-only extension of every signed checkpoint",
    )
    transparency.add_verify_options(verify)
    verify.set_defaults(handler=run_verify)

    transparency.register(commands)
    access.register(commands)


def _json_default(value: Any) -> Any:
    if isinstance(value, date | UUID):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _change_text(change: dict[str, Any]) -> str:
    return f"{change['field']}: {change['before']!r} -> {change['after']!r}"


def run_history(args: argparse.Namespace) -> int:
    runtime = build_runtime(Settings())
    try:
        access.cli_read(runtime, AccessKind.HISTORY, args.recommendation_id)
        with psycopg.connect(runtime.database_url) as conn:
            timeline = audit_timeline(
                conn,
                runtime.settings.database_schema,
                args.recommendation_id,
                FactMapper.like(runtime.app.mapper),
            )
    finally:
        runtime.close()
    if not timeline:
        log.error("no history", recommendation_id=str(args.recommendation_id))
        print(
            f"recommendation {args.recommendation_id} has no events (unknown id)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(
            json.dumps(
                {"recommendation_id": str(args.recommendation_id), "events": timeline},
                default=_json_default,
                indent=2,
            )
        )
        return 0
    for entry in timeline:
        why = f" — why: {entry['reason']}" if entry["reason"] else ""
        print(
            f"v{entry['version']} {entry['label']}: by {entry['actor_id']} "
            f"({entry['actor_role']}), recorded {entry['recorded_at']:%Y-%m-%d %H:%M:%S %Z}, "
            f"business date {entry['business_date']}{why}"
        )
        for change in entry["changes"]:
            print(f"    {_change_text(change)}")
    return 0


def run_as_of(args: argparse.Namespace) -> int:
    runtime = build_runtime(Settings())
    try:
        access.cli_read(
            runtime, AccessKind.AS_OF, args.recommendation_id, date=args.day, basis=args.basis
        )
        if args.recommendation_id is None:
            counts = status_counts_as_of(runtime.app, args.day, basis=args.basis)
            print(f"status counts at the end of {args.day} ({args.basis}):")
            for status, n in counts.items():
                print(f"  {status:<10} {n:>8,}")
            print(f"  {'total':<10} {sum(counts.values()):>8,}")
            return 0
        try:
            state = recommendation_as_of(
                runtime.app, args.recommendation_id, args.day, basis=args.basis
            )
        except NotFound as error:
            print(str(error), file=sys.stderr)
            return 1
        print(json.dumps(state, default=_json_default, indent=2))
        return 0
    finally:
        runtime.close()


def run_replay(args: argparse.Namespace) -> int:
    settings = Settings()
    runtime = build_runtime(settings)
    runtime.close()
    try:
        report = replay_and_compare(
            projector_env(settings, runtime.database_url),
            runtime.database_url,
            settings.database_schema,
            args.names or None,
            progress=Progress("replay"),
        )
    except ValueError as error:  # an unknown view name
        print(f"VIEW: {error}", file=sys.stderr)
        return 2
    print(f"replayed {report.events:,} events in {report.seconds:.1f}s")
    print(f"{'view':<12} {'position':>10}  {'live digest':<20} {'replayed digest':<20}")
    for name, live in report.live_digests.items():
        replayed = report.replayed_digests[name]
        mark = "" if live == replayed else "  DIFFERS"
        print(
            f"{name:<12} {report.positions[name]:>10,}  {live[:16]:<20} {replayed[:16]:<20}{mark}"
        )
    if report.consistent:
        print("views match the events")
        return 0
    print(f"{len(report.differences)} difference(s):", file=sys.stderr)
    for difference in report.differences:
        print(f"  {difference}", file=sys.stderr)
    log.error("replay found differences", count=len(report.differences))
    return 1


def run_verify(args: argparse.Namespace) -> int:
    settings = Settings()
    runtime = build_runtime(settings)
    runtime.close()
    return 0 if transparency.run_verify_log(args, settings, runtime.database_url) else 1
