"""Least privilege: the runtime role appends events and reads them, and nothing more."""

from __future__ import annotations

from uuid import uuid4

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from services.adapters.privileges import set_up_roles
from tests.builders import Commander, authority

RUNTIME = "rectrack_test_runtime"
OWNER = "rectrack_test_owner"


def as_role(database_url: str, role: str) -> str:
    params = conninfo_to_dict(database_url)
    params["user"] = role
    return make_conninfo(**params)


def test_runtime_role_may_insert_events_but_not_change_them(
    run: Commander, database_url: str, schema: str
) -> None:
    authority(run)
    set_up_roles(database_url, schema, OWNER, RUNTIME)
    events = f'"{schema}".rectrack_events'
    runtime_url = as_role(database_url, RUNTIME)
    with psycopg.connect(runtime_url, autocommit=True) as conn:
        # What the library does on every append: the exclusive lock, then the insert.
        with conn.transaction():
            conn.execute(f"LOCK TABLE {events} IN EXCLUSIVE MODE")
            conn.execute(
                f"INSERT INTO {events} (originator_id, originator_version, topic, state) "
                "VALUES (%s, 1, 'x', '\\x00')",
                (uuid4(),),
            )
        assert conn.execute(f"SELECT count(*) FROM {events}").fetchone() == (2,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(f"UPDATE {events} SET state = '\\x01'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DELETE FROM {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"TRUNCATE {events}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f'DELETE FROM "{schema}".rectrack_events_chain')
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"DROP TRIGGER rectrack_append_only ON {events}")
        assert conn.execute(f"SELECT count(*) FROM {events}").fetchone() == (2,)
