"""`rectrack projector` runs the read models live; `rectrack projections rebuild|status`
rebuilds them from the first event and shows how far each has got."""

from __future__ import annotations

import argparse
import signal
import threading

import psycopg
import structlog

from projections.engine import catchup, shapes
from projections.engine.leader import gauges, lease_name, run_as_leader
from projections.engine.rebuild import rebuild
from projections.engine.registry import VIEWS, select
from projections.engine.runner import Projector, projector_env
from projections.views.statistics_cells import SOURCES as CELL_SOURCES
from projections.views.statistics_cells import refresh as refresh_cells
from services.adapters.database import ensure_schema, resolve_database_url
from services.adapters.health import Health, port_for, serve_health
from services.adapters.lease import Lease
from services.adapters.settings import Settings
from services.cli.progress import Progress

log = structlog.get_logger(__name__)


def _database(settings: Settings) -> str:
    url = resolve_database_url(settings)
    ensure_schema(url, settings.database_schema)
    return url


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds this group's sub-commands to the `rectrack` parser."""
    projector = subparsers.add_parser(
        "projector",
        help="keep the read models up to date with the event log (until Ctrl-C / SIGTERM)",
    )
    projector.add_argument("names", nargs="*", metavar="VIEW", help="views to run (default all)")
    projector.set_defaults(handler=run_projector)

    group = subparsers.add_parser("projections", help="read models: rebuild, status")
    commands = group.add_subparsers(dest="projections_command", required=True, metavar="ACTION")
    rebuild_cmd = commands.add_parser(
        "rebuild",
        help="rebuild one or all views from the first event (live processing of them pauses)",
    )
    rebuild_cmd.add_argument(
        "name", nargs="?", choices=list(VIEWS), metavar="NAME", help=f"one of {', '.join(VIEWS)}"
    )
    rebuild_cmd.set_defaults(handler=run_rebuild)
    status_cmd = commands.add_parser("status", help="each view's position and lag behind the log")
    status_cmd.set_defaults(handler=run_status)


def run_projector(args: argparse.Namespace) -> int:
    settings = Settings()
    url = _database(settings)
    projector = Projector(settings, url, args.names or None)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(
        f"rectrack projector: following {settings.database_schema} "
        f"({', '.join(s.name for s in projector.specs)})",
        flush=True,
    )
    health = Health("projector")
    health.before_scrape.append(gauges(url, settings.database_schema, args.names or None))
    serve_health(health, settings.health_host, port_for(settings.health_port, "projector"))
    lease = Lease(url, lease_name(settings.database_schema, args.names or None))

    def terminate(*_: object) -> None:
        health.drain(announce=False)  # a signal handler: see Health.drain
        stop.set()

    signal.signal(signal.SIGTERM, terminate)
    run_as_leader(projector, lease, stop, health)
    print("rectrack projector: stopped", flush=True)
    return 0


def run_rebuild(args: argparse.Namespace) -> int:
    settings = Settings()
    url = _database(settings)
    specs = select([args.name] if args.name else None)
    label = f"rebuild {args.name or 'all views'}"
    result = rebuild(
        projector_env(settings, url), url, settings.database_schema, specs, progress=Progress(label)
    )
    print(
        f"rebuilt {', '.join(s.name for s in specs)}: {result.events:,} events in "
        f"{result.seconds:.1f}s ({result.rate:,.0f} events/s)"
    )
    if any(spec.name in CELL_SOURCES for spec in specs):
        refresh_cells(url, settings.database_schema, force=True)
        print("statistics cells built from the rebuilt views")
    return 0


def run_status(args: argparse.Namespace) -> int:
    settings = Settings()
    url = _database(settings)
    schema = settings.database_schema
    with psycopg.connect(url) as conn:
        positions = catchup.status(conn, schema)
        stale = shapes.changed(conn, schema, [spec.view for spec in select(None)])
        retired = shapes.retired_present(conn, schema)
    head = positions[0].log_position if positions else 0
    print(f"log position: {head:,}")
    print(f"{'view':<12} {'position':>12} {'lag':>10}  tables")
    for p in positions:
        tables = "need a rebuild" if p.name in stale else "current"
        print(f"{p.name:<12} {p.position:>12,} {p.lag:>10,}  {tables}")
    for name, reason in stale.items():
        print(f"{name}: {reason}; the projector rebuilds it when it starts")
    if retired:
        print(f"retired tables still present (the projector drops them): {', '.join(retired)}")
    return 0
