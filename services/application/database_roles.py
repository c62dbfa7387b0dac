"""The database prepared for processes that run as the restricted runtime role: the owner
creates (and migrates) the event store's tables, then grants the runtime role what it may
do (services/adapters/privileges.py). Used by `rectrack up` and `rectrack
migrate`; the processes themselves then connect with RECTRACK_DATABASE_URL as the
runtime role and leave the owner's tables alone."""

from __future__ import annotations

import structlog

from services.adapters.database import ensure_schema, eventsourcing_env
from services.adapters.privileges import (
    as_role,
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


def create_tables(settings: Settings, owner_url: str) -> None:
    """The event store's tables, functions and migrations, made as the owner."""
    Rectrack(env=eventsourcing_env(settings, owner_url)).close()


def prepare_as_superuser(
    settings: Settings, admin_url: str, owner: str = OWNER_ROLE, runtime: str = RUNTIME_ROLE
) -> str:
    """Both roles made, the tables created as the owner, the grants given; returns the
    runtime role's URL (same server, no password: for a local trusted server, as `up`'s
    embedded one)."""
    schema = settings.database_schema
    create_roles(admin_url, owner, runtime)
    ensure_schema(admin_url, schema)
    hand_over(admin_url, schema, owner, runtime)
    owner_url = as_role(admin_url, owner)
    create_tables(settings, owner_url)
    hand_over(admin_url, schema, owner, runtime)  # tables made before roles existed
    grant_runtime(owner_url, schema, runtime)
    log.info("database prepared", schema=schema, owner=owner, runtime=runtime)
    return as_role(admin_url, runtime)


def prepare_as_owner(settings: Settings, owner_url: str, runtime_url: str) -> None:
    """With both roles made by the database's administrator: tables as the owner, and
    the grants to the role of `runtime_url` (RECTRACK_DATABASE_URL)."""
    schema = settings.database_schema
    ensure_schema(owner_url, schema)
    create_tables(settings, owner_url)
    runtime = role_of(runtime_url)
    grant_runtime(owner_url, schema, runtime)
    log.info("database prepared", schema=schema, owner=role_of(owner_url), runtime=runtime)


def prepare_for_processes(settings: Settings, database_url: str, *, embedded: bool) -> str:
    """What `rectrack up` runs before it starts the processes; returns the URL they use.
    Embedded server: `database_url` is its superuser; both roles are made here and the
    processes run as the runtime role. A server of one's own with
    RECTRACK_DATABASE_OWNER_URL set: tables and grants as that owner, the processes as
    RECTRACK_DATABASE_URL. Neither: one role does everything, as before."""
    if embedded:
        return prepare_as_superuser(settings, database_url)
    if settings.database_owner_url:
        prepare_as_owner(settings, settings.database_owner_url, database_url)
    return database_url
