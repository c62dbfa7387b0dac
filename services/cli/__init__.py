"""The `rectrack` command. Each command group lives in its own module and registers its
sub-commands here, so that the parser is the table of contents of what operators can do."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.adapters.log_config import configure_logging
from services.adapters.settings import Settings
from services.adapters.tracing import configure_tracing
from services.cli import (
    audit,
    backup,
    export,
    mail,
    processes,
    projections,
    report,
    spreadsheet,
    stack,
    users,
    worker,
    workflows,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rectrack",
        description="Recommendation tracking for National Preventive Mechanisms.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (stack, processes, worker, workflows, projections, audit, users, spreadsheet):
        group.register(subparsers)
    backup.register(subparsers)
    mail.register(subparsers)
    report.register(subparsers)
    export.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings()
    if settings.otel_endpoint:
        configure_tracing(settings, args.command)
    result = args.handler(args)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
