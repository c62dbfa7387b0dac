"""`rectrack report annual`: the annual report pack written to a file, for whoever
prepares the report to parliament and the SPT without the web UI."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

import psycopg

from services.adapters.database import resolve_database_url
from services.adapters.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = subparsers.add_parser("report", help="reports made from the records")
    commands = report.add_subparsers(dest="report", required=True, metavar="REPORT")
    annual = commands.add_parser(
        "annual", help="the annual report pack: statistics tables and charts for one year"
    )
    annual.add_argument(
        "--year", type=int, default=date.today().year - 1, help="year of issue (default: last)"
    )
    annual.add_argument("--format", choices=("xlsx", "html", "pdf"), default="xlsx")
    annual.add_argument(
        "--output", type=Path, help="file to write (default: recommendations-YEAR.FORMAT here)"
    )
    annual.set_defaults(handler=run_annual)


def run_annual(args: argparse.Namespace) -> int:
    from services.reporting.annual import annual_report

    if not 1900 <= args.year <= 2200:
        print("rectrack report annual: --year must be between 1900 and 2200", file=sys.stderr)
        return 2
    settings = Settings()
    with psycopg.connect(resolve_database_url(settings)) as conn:
        rendered = annual_report(conn, settings.database_schema, args.year, args.format)
    output: Path = args.output or Path(rendered.filename)
    output.write_bytes(rendered.content)
    print(
        f"wrote {output} ({len(rendered.content):,} bytes): the {args.year} pack as {args.format}"
    )
    return 0
