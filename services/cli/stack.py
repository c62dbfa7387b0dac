"""`rectrack up`: the embedded stack on one machine (see services/stack.py)."""

from __future__ import annotations

import argparse
import sys

from services.adapters.settings import Settings
from services.stack import Stack


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser(
        "up",
        help="start everything on this machine: database, Temporal, worker, projector, API",
        description=(
            "Start the embedded stack: PostgreSQL (unless RECTRACK_DATABASE_URL) and a "
            "Temporal dev server (unless RECTRACK_TEMPORAL_ADDRESS) with their state under "
            "RECTRACK_DATA_DIR (default ./data), then the projector, relay, worker and API. "
            "Prints the URL and a new admin token. Ctrl-C stops everything; a second `up` on "
            "the same data directory resumes with all data."
        ),
    )
    up.add_argument(
        "--demo",
        action="store_true",
        help="load demo data for a fictional NPM (only into an empty data directory)",
    )
    up.add_argument("--data-dir", help="where state lives (default: RECTRACK_DATA_DIR or ./data)")
    up.add_argument("--port", type=int, help="API port (default: RECTRACK_API_PORT or 8000)")
    up.set_defaults(handler=run_up)


def run_up(args: argparse.Namespace) -> int:
    overrides: dict[str, object] = {}
    if args.data_dir:
        overrides["data_dir"] = args.data_dir
    if args.port is not None:
        overrides["api_port"] = args.port
    settings = Settings(**overrides)  # type: ignore[arg-type]
    stack = Stack(settings, demo=args.demo)
    code = 0
    try:
        stack.start()
        print(stack.banner(), flush=True)
        code = stack.run_until_stopped()
    except KeyboardInterrupt:
        code = 0
    except (RuntimeError, TimeoutError) as error:
        print(f"rectrack up: {error}", file=sys.stderr, flush=True)
        code = 1
    finally:
        print("rectrack: stopping ...", flush=True)
        stack.stop()
        print("rectrack: stopped", flush=True)
    return code
