"""`rectrack import FILE.csv`: bring a spreadsheet of recommendations in, all or nothing
(see services/spreadsheet_import.py for the columns and the rules)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

import structlog

from domain.values import Role
from services.adapters.settings import Settings
from services.application.runtime import build_runtime
from services.cli.progress import Progress
from services.spreadsheet_import import (
    COLUMNS,
    REQUIRED_COLUMNS,
    Directory,
    ImportRejected,
    file_digest,
    plan_import,
    save_plan,
)

log = structlog.get_logger(__name__)

SHOWN_PROBLEMS = 200


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser(
        "import",
        help="import a spreadsheet (CSV) of recommendations, all rows or none",
        description=(
            "Import recommendations from a CSV file (UTF-8; comma, semicolon or tab "
            "separated; first row names the columns). Every row is checked first and every "
            "problem is listed with its row and column; a file with any bad row imports "
            "nothing. Importing the same file again appends nothing. "
            f"Required columns: {', '.join(REQUIRED_COLUMNS)}. "
            f"Known columns: {', '.join(COLUMNS)}. Authority and place are names as "
            "registered (or ids); list cells (themes, staff, ...) are separated by ';'."
        ),
    )
    command.add_argument("file", type=Path, metavar="FILE.csv")
    command.add_argument(
        "--dry-run", action="store_true", help="check every row and report; store nothing"
    )
    command.add_argument(
        "--batch", type=int, default=500, help="recommendations per transaction (default 500)"
    )
    command.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    path: Path = args.file
    try:
        content = path.read_bytes()
    except OSError as error:
        print(f"rectrack import: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    if args.batch < 1:
        print("rectrack import: --batch must be at least 1", file=sys.stderr)
        return 2
    bound = log.bind(command_id=f"import:{file_digest(content)}", file=str(path))
    runtime = build_runtime(Settings())
    try:
        directory = Directory.load(runtime.database_url, runtime.settings.database_schema)
        checking = Progress("checking rows", unit="rows")
        try:
            plan = plan_import(
                runtime.executor,
                directory,
                content,
                # The operating-system user who ran the import is the actor on every event.
                actor_id=f"import:{getpass.getuser()}",
                actor_role=Role.ADMIN.value,
                source=path.name,
                progress=lambda done: checking(done, max(done, 1)) if done % 500 == 0 else None,
            )
        except ImportRejected as rejected:
            bound.error("import rejected", problems=len(rejected.problems))
            print(f"rectrack import: {path} was not imported: {rejected}", file=sys.stderr)
            for problem in rejected.problems[:SHOWN_PROBLEMS]:
                print(f"  {problem}", file=sys.stderr)
            if len(rejected.problems) > SHOWN_PROBLEMS:
                print(f"  ... and {len(rejected.problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
            return 1
        count = len(plan.recommendations)
        if args.dry_run:
            print(f"{path}: {count} recommendation(s), {plan.pending} event(s); nothing stored")
            return 0
        appended = save_plan(
            runtime.app,
            plan,
            batch_size=args.batch,
            progress=Progress("importing", unit="recommendations"),
        )
    finally:
        runtime.close()
    if appended == 0:
        print(f"{path}: already imported; nothing appended")
    else:
        print(f"{path}: imported {count} recommendation(s) as {appended} event(s)")
    return 0
