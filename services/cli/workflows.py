"""`rectrack workflows reconcile`: compare the events with Temporal and restart every
deadline workflow the record calls for that Temporal has lost or that was terminated,
failed, cancelled or timed out (workflows/reconcile.py). Safe to run at any time and
again: a running or completed workflow is left alone, and a restart is recorded once."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date

from services.application.runtime import build_runtime
from services.cli.progress import Progress
from services.cli.worker import _time_of_day


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "workflows",
        help="inspect and mend the deadline workflows in Temporal",
        description="Operations on the deadline workflows.",
    )
    commands = group.add_subparsers(dest="workflows_command", required=True, metavar="ACTION")
    reconcile = commands.add_parser(
        "reconcile",
        help="restart every workflow the record calls for that Temporal lost or ended abnormally",
        description="Check every recommendation awaiting a reply (its reply obligation) or "
        "an agreed implementation (its follow-up) against Temporal; restart a workflow that "
        "is missing, terminated, failed, cancelled or timed out, from the recorded facts, "
        "and record the restart. Running and completed workflows are left alone.",
    )
    reconcile.add_argument(
        "--fire-at",
        type=_time_of_day,
        default=0,
        metavar="HH:MM[:SS]",
        help="as for `rectrack relay`: when in the day a restarted workflow's steps fire",
    )
    reconcile.set_defaults(handler=_reconcile)


def _reconcile(args: argparse.Namespace) -> int:
    from workflows.reconcile import reconcile
    from workflows.worker import connect

    runtime = build_runtime()

    async def go() -> int:
        client = await connect(runtime.settings)
        report = await reconcile(
            runtime.settings,
            runtime.executor,
            client,
            today=date.today(),
            fire_at_seconds=args.fire_at,
            progress=Progress("checking workflows", unit="workflows"),
        )
        print(report.summary())
        return 0

    try:
        return asyncio.run(go())
    finally:
        runtime.close()
