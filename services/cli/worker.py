"""`rectrack worker` (the Temporal worker running the deadline workflows) and
`rectrack relay` (the event-log follower that feeds them). Both run until SIGINT/SIGTERM
and then exit 0, so `rectrack up` can run them as child processes.

The relay is its own process rather than part of the projector: Temporal being down
must not hold up the views, and rebuilding the views must not hold up deadlines."""

from __future__ import annotations

import argparse
import asyncio
from datetime import time

from services.application.runtime import build_runtime
from workflows.worker import run_relay, run_worker


def _time_of_day(text: str) -> int:
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time of day (HH:MM[:SS])") from None
    return parsed.hour * 3600 + parsed.minute * 60 + parsed.second


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    worker = subparsers.add_parser(
        "worker",
        help="run the Temporal worker (deadline, escalation and implementation workflows)",
        description="Run the Temporal worker on RECTRACK_TASK_QUEUE until SIGINT/SIGTERM.",
    )
    worker.set_defaults(handler=_run_worker)
    relay = subparsers.add_parser(
        "relay",
        help="follow the event log and deliver deadline events to Temporal",
        description="Deliver each relevant event to its workflow (signal-with-start), "
        "resuming from the tracked position, until SIGINT/SIGTERM.",
    )
    relay.add_argument(
        "--fire-at",
        type=_time_of_day,
        default=0,
        metavar="HH:MM[:SS]",
        help="time of day (UTC) at which the steps of a day fire in workflows this relay "
        "starts: a reply due on D is missed at this time on D+1 (default 00:00)",
    )
    relay.set_defaults(handler=_run_relay)


def _run_worker(args: argparse.Namespace) -> int:
    runtime = build_runtime()
    try:
        asyncio.run(run_worker(runtime.settings, runtime.executor, runtime.database_url))
    finally:
        runtime.close()
    return 0


def _run_relay(args: argparse.Namespace) -> int:
    runtime = build_runtime()
    try:
        asyncio.run(
            run_relay(
                runtime.settings,
                runtime.app,
                fire_at_seconds=args.fire_at,
                database_url=runtime.database_url,
            )
        )
    finally:
        runtime.close()
    return 0
