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
        print(banner(stack), flush=True)
        code = stack.run_until_stopped()
    except KeyboardInterrupt:
        code = 0
    except (RuntimeError, TimeoutError) as error:
        print(f"rectrack up: {error}", file=sys.stderr, flush=True)
        code = 1
    finally:
        stack.signals.stopping()  # first: from here on no signal cuts the stop short
        print("rectrack: stopping ...", flush=True)
        stack.stop()
        print("rectrack: stopped", flush=True)
    return code


def banner(stack: Stack) -> str:
    """What `up` prints once everything is ready: where, how to sign in, how to stop."""
    return "\n".join(
        [
            "",
            f"rectrack is running at {stack.api_url}  (API docs: {stack.api_url}/docs)",
            f"sign in as admin with this one-time link (it works once, for "
            f"{stack.settings.signin_link_minutes} minutes):",
            f"  {stack.api_url}/ui/#/link/{stack.admin_link}",
            "  (another: `rectrack users sign-in-link admin`; "
            "a password: `rectrack users password admin`)",
            *(
                [f"demo users, one per role (passwords shown once), at {stack.api_url}/ui/:"]
                + [
                    f"  {role.value:<18} {username:<6} {password}"
                    for username, role, password in stack.demo_passwords
                ]
                if stack.demo_passwords
                else []
            ),
            "API tokens for machines: `rectrack users token NAME`, then "
            f"curl -H 'Authorization: Bearer <token>' {stack.api_url}/api/v1/recommendations",
            f"logs: {stack.data_dir / 'logs'}   stop: Ctrl-C",
            "",
        ]
    )
