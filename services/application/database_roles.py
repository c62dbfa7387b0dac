"""The database prepared for processes that run as the restricted runtime role: the owner
creates (and migrates) the event store's tables, then grants the runtime role what it may
do (services/adapters/privileges.py). Used by `rectrack up` and `rectrack
migrate`; the processes themselves then connect with RECTRACK_DATABASE_URL as the
runtime role and leave the owner's tables alone.

`up` prepares only when the schema is not at this code's version (`schema_version`: a
digest of the event store's DDL and of the code that hands over and grants, marked on
the schema last, in the grants' transaction): a second start skips dozens of statements
and catalog locks. `rectrack migrate` always prepares."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from types import CodeType
from typing import Any

import structlog

from services.adapters.database import ensure_schema, eventsourcing_env
from services.adapters.privileges import (
    APPEND_ONLY_TABLES,
    as_role,
    at_version,
    create_roles,
    grant_runtime,
    hand_over,
    role_of,
)
from services.adapters.settings import Settings
from services.application.store import Rectrack

log = structlog.get_logger(__name__)

OWNER_ROLE = "rectrack_owner"
RUNTIME_ROLE = "rectrack_runtime"


def store_on(settings: Settings, url: str) -> Rectrack:
    """The event store on `url`, its tables not created, with a pool of one connection
    (and one more for creating them): the library connects as it builds its recorder."""
    small = {"CREATE_TABLE": "n", "POSTGRES_POOL_SIZE": "1", "POSTGRES_MAX_OVERFLOW": "1"}
    return Rectrack(env=eventsourcing_env(settings, url) | small)


def _at_version(
    store: Rectrack, version: str, owner: str, runtime: str, *, handed_over: bool
) -> bool:
    datastore = store.recorder.datastore  # type: ignore[attr-defined]
    with datastore.get_connection() as conn:
        return at_version(conn, datastore.schema, version, owner, runtime, handed_over=handed_over)


def _code_parts(code: CodeType) -> Iterator[bytes]:
    yield code.co_code
    yield repr(code.co_names).encode()
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _code_parts(constant)
        elif isinstance(constant, frozenset):  # `in {...}`: its order varies by process
            yield repr(sorted(map(repr, constant))).encode()
        else:
            yield repr(constant).encode()


def schema_version(store: Rectrack, roles: tuple[str, str], *code: Callable[..., Any]) -> str:
    """A digest of what preparing runs: the event store's DDL as the recorder would send
    it, the owner and runtime roles, and the code (bytecode and constants, its SQL
    included) of the functions given (the hand-over and the grants). Any change to
    them, the library's DDL included, is a new version, which `up` then applies."""
    digest = hashlib.sha256(repr(roles).encode())
    for statement in store.recorder.sql_create_statements:  # type: ignore[attr-defined]
        digest.update(statement.as_string().encode() + b"\0")
    digest.update(repr(APPEND_ONLY_TABLES).encode())
    for function in code:
        for part in _code_parts(function.__code__):
            digest.update(part + b"\0")
    return digest.hexdigest()[:32]


#: The code whose change makes a new version, besides the DDL itself.
PREPARING = (create_roles, hand_over, grant_runtime)


def prepare_as_superuser(
    settings: Settings,
    admin_url: str,
    owner: str = OWNER_ROLE,
    runtime: str = RUNTIME_ROLE,
    *,
    always: bool = True,
) -> str:
    """Both roles made, the tables created as the owner, the grants given; returns the
    runtime role's URL (same server, no password: for a local trusted server, as `up`'s
    embedded one). Unless `always`, nothing is done where the schema is at this version."""
    schema = settings.database_schema
    store = store_on(settings, admin_url)  # the owner may not exist yet
    try:
        version = schema_version(store, (owner, runtime), *PREPARING, prepare_as_superuser)
        if not always and _at_version(store, version, owner, runtime, handed_over=True):
            log.info("database at this version", schema=schema, version=version)
            return as_role(admin_url, runtime)
    finally:
        store.close()
    create_roles(admin_url, owner, runtime)
    ensure_schema(admin_url, schema)
    hand_over(admin_url, schema, owner, runtime)
    owner_url = as_role(admin_url, owner)
    store = store_on(settings, owner_url)
    try:
        store.recorder.create_table()  # type: ignore[attr-defined]
    finally:
        store.close()
    hand_over(admin_url, schema, owner, runtime)  # tables made before roles existed
    grant_runtime(owner_url, schema, runtime, version=version)
    log.info("database prepared", schema=schema, owner=owner, runtime=runtime, version=version)
    return as_role(admin_url, runtime)


def prepare_as_owner(
    settings: Settings, owner_url: str, runtime_url: str, *, always: bool = True
) -> None:
    """With both roles made by the database's administrator: tables as the owner, and
    the grants to the role of `runtime_url` (RECTRACK_DATABASE_URL). Unless `always`,
    nothing is done where the schema is at this version."""
    schema = settings.database_schema
    owner, runtime = role_of(owner_url), role_of(runtime_url)
    ensure_schema(owner_url, schema)
    store = store_on(settings, owner_url)
    try:
        version = schema_version(store, (owner, runtime), *PREPARING, prepare_as_owner)
        if not always and _at_version(store, version, owner, runtime, handed_over=False):
            log.info("database at this version", schema=schema, version=version)
            return
        store.recorder.create_table()  # type: ignore[attr-defined]
    finally:
        store.close()
    grant_runtime(owner_url, schema, runtime, version=version)
    log.info("database prepared", schema=schema, owner=owner, runtime=runtime, version=version)


def prepare_for_processes(settings: Settings, database_url: str, *, embedded: bool) -> str:
    """What `rectrack up` runs before it starts the processes; returns the URL they use.
    Embedded server: `database_url` is its superuser; both roles are made here and the
    processes run as the runtime role. A server of one's own with
    RECTRACK_DATABASE_OWNER_URL set: tables and grants as that owner, the processes as
    RECTRACK_DATABASE_URL. Neither: one role does everything, as before."""
    if embedded:
        return prepare_as_superuser(settings, database_url, always=False)
    if settings.database_owner_url:
        prepare_as_owner(settings, settings.database_owner_url, database_url, always=False)
    else:
        ensure_schema(database_url, settings.database_schema)
    return database_url
