"""`rectrack api`: the HTTP API as a production process (uvicorn), configured from
RECTRACK_ settings. The worker, relay and projector processes register their own
commands in their issues' modules."""

from __future__ import annotations

import argparse

from services.adapters.settings import Settings


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    api = subparsers.add_parser(
        "api",
        help="serve the HTTP API (JSON under /api/v1, docs at /docs)",
        description="Serve the HTTP API with uvicorn until SIGINT/SIGTERM. "
        "Defaults come from RECTRACK_API_HOST, RECTRACK_API_PORT and RECTRACK_API_WORKERS.",
    )
    api.add_argument("--host", help="address to bind (default: RECTRACK_API_HOST)")
    api.add_argument("--port", type=int, help="port to bind (default: RECTRACK_API_PORT)")
    api.add_argument("--workers", type=int, help="worker processes (default: RECTRACK_API_WORKERS)")
    api.set_defaults(handler=run_api)


def run_api(args: argparse.Namespace) -> int:
    import uvicorn

    settings = Settings()
    uvicorn.run(
        "services.api.serve:app_from_environment",
        factory=True,
        host=args.host or settings.api_host,
        port=args.port if args.port is not None else settings.api_port,
        workers=args.workers or settings.api_workers,
        access_log=False,  # services/api/context.py logs each request with its context
        log_config=None,
        timeout_graceful_shutdown=10,
    )
    return 0
