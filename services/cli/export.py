"""`rectrack export --format csv|xlsx [filters] -o FILE`: a list of recommendations, every
row, in the import's columns (services/spreadsheet_export.py), with a progress bar on
stderr. The operator's export is the whole record: the same as the API gives staff."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import date
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg

from domain.values import PlaceType, RecommendationKind, Status
from services.adapters.database import resolve_database_url
from services.adapters.settings import Settings
from services.cli.progress import Progress


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser(
        "export",
        help="export a list of recommendations as CSV or XLSX (the import's columns)",
        description=(
            "Write every recommendation the filters select (all of them without filters) "
            "to a CSV or XLSX file whose columns are the spreadsheet import's, so that "
            "`rectrack import` reads it back as the same records."
        ),
    )
    command.add_argument("--format", choices=("csv", "xlsx"), default=None)
    command.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        help="file to write (the format follows its extension unless --format says)",
    )
    command.add_argument("--status", choices=[s.value for s in Status])
    command.add_argument("--authority", help="an authority's name as registered, or its id")
    command.add_argument("--place", help="a place's name as registered, or its id")
    command.add_argument("--place-type", choices=[p.value for p in PlaceType])
    command.add_argument("--kind", choices=[k.value for k in RecommendationKind])
    command.add_argument("--theme")
    command.add_argument("--keyword")
    command.add_argument("--group", help="vulnerable group")
    command.add_argument("--year", type=int, help="year it was made (issued, else drafted)")
    command.add_argument("--overdue", action="store_true", help="only those overdue today")
    command.add_argument("-q", "--query", help="words of the text, a reference or external id")
    command.set_defaults(handler=run_export)


class _Unknown(Exception):
    pass


def _resolve(conn: psycopg.Connection[Any], schema: str, kind: str, value: str) -> UUID:
    """The id of the authority or place named `value` (its name, any case, or its id)."""
    try:
        return UUID(value)
    except ValueError:
        pass
    table = "status_authorities" if kind == "authority" else "status_places"
    found = conn.execute(
        f'SELECT {kind}_id FROM "{schema}".{table} WHERE lower(name) = lower(%s)',
        (value.strip(),),
    ).fetchall()
    if len(found) != 1:
        what = "no" if not found else f"{len(found)}"
        raise _Unknown(f"--{kind}: {what} {kind} registered as {value!r}")
    return UUID(str(found[0][0]))


def run_export(args: argparse.Namespace) -> int:
    from projections.views.export_rows import count_rows, iter_rows
    from projections.views.status import ListFilters
    from services.spreadsheet_export import Format, export

    output: Path = args.output
    fmt = args.format or output.suffix.lstrip(".").lower()
    if fmt not in ("csv", "xlsx"):
        print(
            f"rectrack export: --format must be csv or xlsx (the file {output.name} names neither)",
            file=sys.stderr,
        )
        return 2
    if args.year is not None and not 1900 <= args.year <= 2200:
        print("rectrack export: --year must be between 1900 and 2200", file=sys.stderr)
        return 2
    settings = Settings()
    schema = settings.database_schema
    today = date.today()
    with psycopg.connect(resolve_database_url(settings), autocommit=True) as conn:
        try:
            authority_id = args.authority and _resolve(conn, schema, "authority", args.authority)
            place_id = args.place and _resolve(conn, schema, "place", args.place)
        except _Unknown as error:
            print(f"rectrack export: {error}", file=sys.stderr)
            return 2
        filters = ListFilters(
            status=args.status,
            authority_id=authority_id or None,
            place_id=place_id or None,
            place_type=args.place_type,
            kind=args.kind,
            theme=args.theme,
            keyword=args.keyword,
            group=args.group,
            year=args.year,
            overdue=True if args.overdue else None,
            q=args.query,
        )
        total = count_rows(conn, schema, filters, today)
        progress = Progress(f"exporting {fmt}", unit="rows")
        made = export(
            lambda fields: iter_rows(conn, schema, fields, filters, today),
            cast("Format", fmt),
            published_only=False,
            reader=f"cli:{getpass.getuser()}",
            filters={k: str(v) for k, v in vars(filters).items() if v not in (None, False)},
            on_row=lambda done: progress(done, max(total, done)),
        )
        partial = output.with_name(output.name + ".partial")
        with partial.open("wb") as out:
            for chunk in made.chunks:
                out.write(chunk)
        partial.replace(output)  # never a half-written file under the name asked for
    # one row per response, at least one per recommendation
    print(f"wrote {output}: {total:,} row(s) as {fmt}, {len(made.columns)} columns")
    return 0
