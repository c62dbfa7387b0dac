"""`rectrack audit access`: who read which internal record (a recommendation's history,
timeline or past state, an export), when, and with which query; and `cli_read`, which
records the reads the audit commands themselves make, as the operating-system user."""

from __future__ import annotations

import argparse
import getpass
import json
from datetime import date, timedelta
from uuid import UUID

from domain.access import AccessKind
from domain.user import User, user_id_for
from domain.values import Role
from services.adapters.settings import Settings
from services.application.access_records import AccessRecorder, access_records, record_access
from services.application.runtime import Runtime, build_runtime
from services.application.store import Rectrack


def cli_read(
    runtime: Runtime, kind: AccessKind, recommendation_id: UUID | None, **query: object
) -> None:
    """Record a read made through the CLI (its reader: cli:<operating-system user>)."""
    record_access(
        AccessRecorder(runtime.app),
        reader_id=f"cli:{getpass.getuser()}",
        reader_role=Role.ADMIN.value,
        kind=kind,
        recommendation_id=recommendation_id,
        query={name: str(value) for name, value in query.items() if value is not None},
    )


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    access = commands.add_parser(
        "access",
        help="who read which internal record, with the query",
        description="Reads of internal records (history, timeline, as-of state, exports), "
        "recorded as events. Default: the last 30 days.",
    )
    access.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    access.add_argument("--until", type=date.fromisoformat, help="last day (default: today)")
    access.add_argument("--reader", help="a username, or cli:<user> for the CLI's reads")
    access.add_argument("--recommendation", type=UUID, help="reads of this recommendation")
    access.add_argument("--kind", choices=[kind.value for kind in AccessKind])
    access.add_argument("--json", action="store_true", help="one JSON object per read")
    access.set_defaults(handler=run_access)


def _name(store: Rectrack, reader_id: str) -> str:
    try:
        user = store.find(User, UUID(reader_id))
    except ValueError:
        return reader_id
    return user.username if user is not None else reader_id


def run_access(args: argparse.Namespace) -> int:
    until = args.until or date.today()
    since = args.since or until - timedelta(days=30)
    reader = args.reader
    reader_id = str(user_id_for(reader)) if reader and not reader.startswith("cli:") else reader
    runtime = build_runtime(Settings())
    try:
        found = access_records(
            runtime.app,
            since=since,
            until=until,
            reader_id=reader_id,
            recommendation_id=args.recommendation,
            kind=AccessKind(args.kind) if args.kind else None,
            limit=100_000,
        )
        names = {r.reader_id: _name(runtime.app, r.reader_id) for r in found}
    finally:
        runtime.close()
    for record in found:
        if args.json:
            print(
                json.dumps(
                    {
                        "reader": names[record.reader_id],
                        "reader_role": record.reader_role,
                        "recorded_at": record.recorded_at.isoformat(),
                        "kind": record.kind,
                        "recommendation_id": record.recommendation_id,
                        "query": record.query,
                        "request_id": record.request_id,
                    }
                )
            )
            continue
        what = record.recommendation_id or "many recommendations"
        asked = ", ".join(f"{k}={v}" for k, v in record.query.items()) or "no query"
        print(
            f"{record.recorded_at:%Y-%m-%d %H:%M:%S} {names[record.reader_id]} "
            f"({record.reader_role}) read the {record.kind.replace('_', '-')} of {what} "
            f"[{asked}]"
        )
    if not args.json:
        print(f"{len(found)} read(s) from {since} to {until}")
    return 0
