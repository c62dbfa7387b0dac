"""`rectrack up`: the embedded stack on a laptop. (For now: the embedded database.)"""

from __future__ import annotations

import argparse
import signal
import threading

from services.database import resolve_database_url
from services.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    up = subparsers.add_parser(
        "up",
        help="start everything on this machine (embedded PostgreSQL unless RECTRACK_DATABASE_URL)",
        description="Start the embedded stack; Ctrl-C stops it.",
    )
    up.add_argument("--demo", action="store_true", help="load demo data on a fresh data directory")
    up.set_defaults(handler=run_up)


def run_up(args: argparse.Namespace) -> int:
    settings = Settings()
    url = resolve_database_url(settings)
    print(f"rectrack: database at {url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    print("rectrack: stopped", flush=True)
    return 0
