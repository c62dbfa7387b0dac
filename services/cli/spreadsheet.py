"""`rectrack import FILE`: bring a spreadsheet (CSV or XLSX) of recommendations in, all
rows or none (services/spreadsheet_import.py says how; services/spreadsheet_columns.py
lists the columns)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import getpass
import sys
import time
from pathlib import Path

import structlog

from domain.values import Role
from projections.engine.early import EarlyFold
from projections.engine.registry import select
from services.adapters.settings import Settings
from services.application.commands.registry import RegisterAuthority
from services.application.executor import Caller
from services.application.runtime import Runtime, build_runtime
from services.cli.progress import Progress
from services.spreadsheet_authorities import default_authority, read_authorities
from services.spreadsheet_columns import COLUMN_NAMES, REQUIRED_COLUMNS
from services.spreadsheet_directory import Directory
from services.spreadsheet_identity import Change
from services.spreadsheet_import import Importer, Options
from services.spreadsheet_problems import ImportRejected, Problem
from services.spreadsheet_reading import ReadError, ReadOptions, Sheet, delimiter_of
from services.spreadsheet_staged import Checked

log = structlog.get_logger(__name__)

SHOWN_PROBLEMS = 200


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = subparsers.add_parser(
        "import",
        help="import a spreadsheet (CSV or XLSX) of recommendations, all rows or none",
        description=(
            "Import recommendations from a CSV file (RFC 4180: comma-separated unless "
            "--delimiter says otherwise, UTF-8 with or without BOM unless --encoding says "
            "otherwise) or an XLSX workbook (first sheet unless --sheet). The first row names "
            "the columns. Every row is checked first and every problem is listed with its "
            "row and column; a file with any bad row imports nothing. Records already "
            "stored (same external_id, or same text, authority, place and issue date) "
            "append nothing but the replies of their later rows dated after their last; "
            "changed ones are listed, and recorded with --update. "
            f"Required columns: {', '.join(REQUIRED_COLUMNS)}. "
            f"Known columns: {', '.join(COLUMN_NAMES)}. Authority and place are names as "
            "registered (or ids); list cells (themes, staff, ...) are separated by ';'; "
            "dates are YYYY-MM-DD."
        ),
    )
    command.add_argument("file", type=Path, metavar="FILE")
    command.add_argument(
        "--dry-run", action="store_true", help="check every row and report; store nothing"
    )
    command.add_argument("--delimiter", default=",", help="CSV cell separator (default ',')")
    command.add_argument(
        "--encoding", default="utf-8", help="CSV text encoding (default utf-8; cp1252, ...)"
    )
    command.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    command.add_argument(
        "--update", action="store_true", help="record the changes of rows changed since import"
    )
    command.add_argument(
        "--create-authorities",
        action="store_true",
        help="register the authorities the file names that are not registered",
    )
    command.add_argument(
        "--jurisdiction", help="country code of the authorities --create-authorities registers"
    )
    command.add_argument(
        "--authorities",
        type=Path,
        metavar="FILE",
        help="CSV or XLSX of authorities to register (name, kind, jurisdiction, "
        "reply_period_days, urgent_reply_period_days, day_kind, reply_clock_starts)",
    )
    command.add_argument(
        "--authorities-sheet",
        metavar="SHEET",
        help="read the authorities from this sheet of an XLSX workbook (--authorities, "
        "or else the imported workbook itself)",
    )
    command.add_argument(
        "--leave-views",
        action="store_true",
        help="store the rows and leave the views (lists, statistics) to the running projector "
        "or `rectrack projections rebuild`; by default the import brings them current itself",
    )
    command.add_argument(
        "--batch", type=int, default=500, help="recommendations per transaction (default 500)"
    )
    command.set_defaults(handler=run_import)


def _fail(path: Path, problems: list[Problem]) -> int:
    print(
        f"rectrack import: {path} was not imported: {len(problems)} problem(s); "
        "nothing was imported",
        file=sys.stderr,
    )
    for problem in problems[:SHOWN_PROBLEMS]:
        print(f"  {problem}", file=sys.stderr)
    if len(problems) > SHOWN_PROBLEMS:
        print(f"  ... and {len(problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
    return 1


def run_import(args: argparse.Namespace) -> int:
    path: Path = args.file
    if args.batch < 1:
        print("rectrack import: --batch must be at least 1", file=sys.stderr)
        return 2
    if args.create_authorities and not (
        args.jurisdiction or args.authorities or args.authorities_sheet
    ):
        print(
            "rectrack import: --create-authorities needs --jurisdiction (the country code "
            "the new authorities' working days follow), or --authorities FILE",
            file=sys.stderr,
        )
        return 2
    try:
        delimiter = delimiter_of(args.delimiter)
    except ReadError as error:
        print(f"rectrack import: {error}", file=sys.stderr)
        return 2
    try:
        sheet = Sheet(path, ReadOptions(delimiter, args.encoding, args.sheet))
    except OSError as error:
        print(f"rectrack import: cannot read {path}: {error.strerror}", file=sys.stderr)
        return 1
    except ReadError as error:
        return _fail(path, [Problem(0, "file", str(error))])
    new_authorities: dict[str, RegisterAuthority] = {}
    authorities_file: Path | None = args.authorities
    if authorities_file is None and args.authorities_sheet:
        authorities_file = path
    if authorities_file is not None:
        try:
            authorities_sheet = Sheet(authorities_file, ReadOptions(sheet=args.authorities_sheet))
            new_authorities = read_authorities(authorities_sheet, args.jurisdiction)
        except OSError as error:
            print(
                f"rectrack import: cannot read {authorities_file}: {error.strerror}",
                file=sys.stderr,
            )
            return 1
        except ImportRejected as rejected:
            return _fail(authorities_file, rejected.problems)
        except ReadError as error:
            return _fail(authorities_file, [Problem(0, "file", str(error))])
    # An import builds and drops millions of small objects that hold no reference cycles:
    # collecting the youngest generation every 100,000 allocations instead of every 700
    # cuts the checking time by about a quarter (this process runs only the import).
    gc.set_threshold(100_000, 50, 100)
    bound = log.bind(command_id=f"import:{path.name}", file=str(path))
    runtime = build_runtime(Settings())
    try:
        directory = Directory.load(
            runtime.database_url,
            runtime.settings.database_schema,
            runtime.app.get,
            runtime.app.external_ids_after,
        )
        checking = _Counter("checking rows")
        views_early = contextlib.ExitStack()
        try:
            importer = Importer(
                runtime.executor,
                directory,
                sheet,
                # The operating-system user who ran the import is the actor on every event.
                caller=_caller(),
                source=path.name,
                options=Options(
                    update=args.update,
                    new_authorities=new_authorities,
                    # Without a jurisdiction, only the authorities file's are registered.
                    default_authority=(
                        default_authority(args.jurisdiction)
                        if args.create_authorities and args.jurisdiction
                        else None
                    ),
                    batch_size=args.batch,
                ),
            )
            checked = Checked(encode=importer.store.encode)
            early = None
            if not (args.leave_views or args.dry_run):
                early = views_early.enter_context(
                    _early_fold(runtime, f"import:{path.name}", checked)
                )
                checked.spilled = early.batch
            checked = importer.check(progress=checking, checked=checked)
            checking.end()
            if args.dry_run:
                print(
                    f"{path}: {checked.new} new recommendation(s) as "
                    f"{checked.events} event(s), {checked.unchanged} already imported, "
                    f"{len(checked.changes)} changed, {len(checked.additions)} later "
                    "reply row(s) of stored records; nothing stored"
                )
                _report_changes(checked.changes, args.update)
                checked.close()
                return 0
            try:
                if early is not None:
                    early.ready()  # the views paused before anything is stored
                outcome = importer.store_checked(
                    checked, progress=Progress("importing", unit="recommendations")
                )
                caught_up = early.finish() if early is not None else None
                if caught_up is not None:
                    _build_cells(runtime)
            finally:
                checked.close()
        except ImportRejected as rejected:
            bound.error("import rejected", problems=len(rejected.problems))
            return _fail(path, rejected.problems)
        finally:
            views_early.close()  # unless finished: the early fold is rolled back
    finally:
        runtime.close()
    for name in outcome.authorities:
        print(f"registered the authority {name!r}")
    if outcome.events == 0 and not checked.changes and not checked.additions:
        print(f"{path}: already imported; nothing appended ({checked.unchanged} record(s))")
        return 0
    print(
        f"{path}: imported {outcome.recommendations} recommendation(s) as "
        f"{outcome.events} event(s); {checked.unchanged} already imported"
        + (f"; {outcome.updated} updated" if outcome.updated else "")
        + (
            f"; {outcome.added} row(s) of later replies, assessments or closures of stored records"
            if outcome.added
            else ""
        )
    )
    _report_changes(checked.changes, args.update)
    if caught_up is not None:
        print(
            f"The views (lists, statistics) are current: {caught_up.events:,} event(s) "
            f"applied, up to notification {caught_up.position:,}."
        )
    else:
        print(
            "The views (lists, statistics) take these events while the projector runs "
            "(`rectrack up`), or at once with `rectrack projections rebuild`."
        )
    return 0


def _early_fold(runtime: Runtime, command_id: str, checked: Checked) -> EarlyFold:
    """The views (lists, statistics) take the imported events before the command
    returns, exactly once beside a running projector, not left to the live projector's
    pages nor to a rebuild of the whole store: folded in a process of their own from
    each batch as it is checked (projections/engine/early.py), committed only once the
    rows are stored."""
    from projections.engine.runner import projector_env

    settings, url = runtime.settings, runtime.database_url
    return EarlyFold(
        projector_env(settings, url),
        url,
        settings.database_schema,
        select(None),
        spill=checked.spill,
        command_id=command_id,
    )


def _build_cells(runtime: Runtime) -> None:
    """The statistics cells from the views just brought current, as `projections
    rebuild` builds them: else `/stats` answers from the slower views until a running
    projector rebuilds them (up to RECTRACK_STATS_REFRESH_SECONDS later, or never
    without one). Skipped when nothing moved, or while another process builds them."""
    from projections.views.statistics_cells import refresh

    started = time.perf_counter()
    built = refresh(runtime.database_url, runtime.settings.database_schema)
    log.info("statistics cells", built=built, seconds=round(time.perf_counter() - started, 3))


def _report_changes(changes: list[Change], updated: bool) -> None:
    if not changes or updated:
        return
    print(f"{len(changes)} row(s) changed since their import (run again with --update to record):")
    for change in changes[:SHOWN_PROBLEMS]:
        print(f"  {change}")
        for column, rule in change.fixed:
            print(f"    {column}: {rule}")


class _Counter:
    """Rows checked so far, on one line of stderr (the first pass does not know the total)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.started = time.perf_counter()
        self.done = 0

    def __call__(self, done: int) -> None:
        self.done = done
        rate = done / max(time.perf_counter() - self.started, 1e-9)
        sys.stderr.write(f"\r{self.label:<24} {done:,} rows {rate:,.0f}/s")
        sys.stderr.flush()

    def end(self) -> None:
        if self.done:
            sys.stderr.write("\n")


def _caller() -> Caller:
    return Caller(f"import:{getpass.getuser()}", Role.ADMIN.value)
