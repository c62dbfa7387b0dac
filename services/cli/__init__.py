"""The `rectrack` command. Each command group lives in its own module and registers its
sub-commands here, so that the parser is the table of contents of what operators can do.

`rectrack COMMAND` imports only the module that registers COMMAND (`COMMANDS`): importing
every group (FastAPI, Temporal, the spreadsheet and report libraries) took most of a
process's start, and `rectrack up` starts four of them (`make bench-startup`)."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

#: Each top-level command and the module of services/cli that registers it, in the order
#: `rectrack --help` lists them.
COMMANDS: dict[str, str] = {
    "up": "stack",
    "api": "processes",
    "worker": "worker",
    "relay": "worker",
    "workflows": "workflows",
    "projector": "projections",
    "projections": "projections",
    "audit": "audit",
    "users": "users",
    "import": "spreadsheet",
    "backup": "backup",
    "restore": "backup",
    "migrate": "backup",
    "mail": "mail",
    "report": "report",
    "export": "export",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone when it is a known one."""
    parser = argparse.ArgumentParser(
        prog="rectrack",
        description="Recommendation tracking for National Preventive Mechanisms.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    groups = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for group in groups:
        importlib.import_module(f"{__name__}.{group}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments[0] if arguments else None)
    args = parser.parse_args(arguments)
    from services.adapters.log_config import configure_logging
    from services.adapters.settings import Settings

    configure_logging()
    settings = Settings()
    if settings.otel_endpoint:
        from services.adapters.tracing import configure_tracing

        configure_tracing(settings, args.command)
    result = args.handler(args)
    return int(result or 0)


def main_when_told(argv: Sequence[str] | None = None) -> int:
    """How `rectrack up` runs its processes (services/stack.py): the command's modules are
    imported first (most of a start) while the database is still starting, then the
    environment `up` sends as one JSON object on stdin is added, then the command runs."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    build_parser(arguments[0] if arguments else None)
    line = sys.stdin.readline()
    if not line:
        return 1  # `up` ended before the database was up
    os.environ.update(json.loads(line))
    return main(arguments)


def run() -> NoReturn:
    """The `rectrack` script."""
    leave(main())


def leave(code: int) -> NoReturn:
    """End the process with `code` once the command has returned.

    Temporal's Rust bridge keeps threads of its own that can touch the interpreter while
    it is torn down: a worker that had stopped cleanly ("worker stopped" logged, every
    `finally` run) then died with SIGSEGV (tests/deploy/test_compose_starts, CI). So once
    the bridge was loaded, the exit functions run (the log handlers' and OpenTelemetry's
    flush, multiprocessing's children) and the streams are flushed, then the process ends
    without the teardown. Without the bridge it exits as usual."""
    if "temporalio.bridge.temporal_sdk_bridge" not in sys.modules:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
