"""`rectrack up` prepares the database (tables as the owner, the hand-over, the grants) only
when the schema is not at this code's version; `rectrack migrate` always does."""

from __future__ import annotations

import psycopg
import pytest
from structlog.testing import capture_logs

from services.adapters.documents import DocumentStore
from services.adapters.privileges import VERSION_MARK, as_role, create_roles
from services.adapters.settings import Settings
from services.application.database_roles import (
    PREPARING,
    prepare_as_owner,
    prepare_as_superuser,
    schema_version,
    store_on,
)

RUNTIME = "rectrack_test_runtime"
OWNER = "rectrack_test_owner"


def _prepare(settings: Settings, database_url: str) -> list[str]:
    """Prepares as `up` does; returns what it logged."""
    with capture_logs() as logs:
        prepare_as_superuser(settings, database_url, OWNER, RUNTIME, always=False)
    return [entry["event"] for entry in logs]


def _runtime_may_insert(database_url: str, schema: str) -> bool:
    with psycopg.connect(as_role(database_url, RUNTIME), autocommit=True) as conn:
        row = conn.execute(
            "SELECT has_table_privilege(%s, 'INSERT')", (f'"{schema}".rectrack_events',)
        ).fetchone()
    return bool(row and row[0])


def _comment(database_url: str, schema: str) -> str | None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
            (schema,),
        ).fetchone()
    return None if row is None else row[0]


def test_a_second_start_runs_no_ddl_and_an_older_version_is_prepared_again(
    database_url: str, schema: str, settings: Settings
) -> None:
    assert _prepare(settings, database_url) == ["database prepared"]
    mark = _comment(database_url, schema)
    assert mark is not None and mark.startswith(VERSION_MARK)
    # A grant taken away behind its back: preparing would give it again.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'REVOKE INSERT ON "{schema}".rectrack_events FROM {RUNTIME}')
    assert _prepare(settings, database_url) == ["database at this version"]
    assert not _runtime_may_insert(database_url, schema)  # nothing was run
    # The schema as an earlier version of the code left it: prepared again, marked anew.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"COMMENT ON SCHEMA \"{schema}\" IS '{VERSION_MARK}0123'")
    assert _prepare(settings, database_url) == ["database prepared"]
    assert _runtime_may_insert(database_url, schema)
    assert _comment(database_url, schema) == mark


def test_an_event_store_table_a_process_made_since_is_handed_over(
    database_url: str, schema: str, settings: Settings
) -> None:
    _prepare(settings, database_url)
    # The documents' table, made by a process (as the runtime role) on its first use.
    DocumentStore(as_role(database_url, RUNTIME), schema).put(b"evidence", "text/plain")
    assert _prepare(settings, database_url) == ["database prepared"]
    with psycopg.connect(as_role(database_url, RUNTIME), autocommit=True) as conn:
        owner = conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = %s",
            (schema, "rectrack_documents"),
        ).fetchone()
        assert owner == (OWNER,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'DELETE FROM "{schema}".rectrack_documents')
    assert _prepare(settings, database_url) == ["database at this version"]


def test_prepared_by_an_owner_a_second_time_runs_nothing(
    database_url: str, schema: str, settings: Settings
) -> None:
    create_roles(database_url, OWNER, RUNTIME)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f'ALTER SCHEMA "{schema}" OWNER TO {OWNER}')
    owner_url, runtime_url = as_role(database_url, OWNER), as_role(database_url, RUNTIME)
    with capture_logs() as logs:
        prepare_as_owner(settings, owner_url, runtime_url, always=False)
        prepare_as_owner(settings, owner_url, runtime_url, always=False)
        prepare_as_owner(settings, owner_url, runtime_url)  # `rectrack migrate`
    assert [entry["event"] for entry in logs] == [
        "database prepared",
        "database at this version",
        "database prepared",
    ]
    assert _runtime_may_insert(database_url, schema)


def test_the_version_follows_the_ddl_the_roles_and_the_preparing_code(
    database_url: str, schema: str, settings: Settings
) -> None:
    other = Settings(database_schema=f"{schema}_other", _env_file=None)  # type: ignore[call-arg]
    stores = [store_on(settings, database_url), store_on(other, database_url)]
    try:
        here, there = stores
        roles = (OWNER, RUNTIME)
        version = schema_version(here, roles, *PREPARING)
        assert schema_version(here, roles, *PREPARING) == version
        # Other DDL (here: the same statements for another schema), roles or code.
        assert schema_version(there, roles, *PREPARING) != version
        assert schema_version(here, (OWNER, "someone_else"), *PREPARING) != version
        assert schema_version(here, roles, *PREPARING[:-1]) != version
    finally:
        for store in stores:
            store.close()
