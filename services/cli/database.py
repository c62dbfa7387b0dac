"""`rectrack database prepare`: creates and migrates the tables as the owner role
(RECTRACK_DATABASE_OWNER_URL) and grants the processes' role (that of
RECTRACK_DATABASE_URL) what it may do. Run it on each deploy, before the processes start;
`rectrack up` does the same by itself."""

from __future__ import annotations

import argparse
import sys

from services.adapters.privileges import role_of
from services.adapters.settings import Settings
from services.application.database_roles import prepare_as_owner


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser("database", help="tables and roles")
    commands = group.add_subparsers(dest="database_command", required=True, metavar="ACTION")
    prepare = commands.add_parser(
        "prepare",
        help="create/migrate the tables as RECTRACK_DATABASE_OWNER_URL and grant the "
        "role of RECTRACK_DATABASE_URL its rights (append-only events)",
    )
    prepare.set_defaults(handler=run_prepare)


def run_prepare(args: argparse.Namespace) -> int:
    settings = Settings()
    if not settings.database_owner_url or not settings.database_url:
        print(
            "RECTRACK_DATABASE_OWNER_URL and RECTRACK_DATABASE_URL must both be set (the "
            "owner's and the processes' roles)",
            file=sys.stderr,
        )
        return 2
    prepare_as_owner(settings, settings.database_owner_url, settings.database_url)
    print(
        f"tables ready in schema {settings.database_schema}, owned by "
        f"{role_of(settings.database_owner_url)}; {role_of(settings.database_url)} may "
        "append events, not change them"
    )
    return 0
