"""Table creation that tolerates many processes starting at once.

Every rectrack process creates the tables, types, functions and indexes it needs when it
starts (the library's recorders do so with CREATE ... IF NOT EXISTS, CREATE TYPE in a
transaction of its own, and CREATE OR REPLACE). PostgreSQL does not make those
statements safe against each other: two API workers, or the projector and the relay,
starting together fail with "tuple concurrently updated" or a duplicate key on the
catalog. An advisory lock per schema, held on a connection of its own for the whole
creation, makes the creators take turns; the second finds everything in place.

Where the tables belong to another role (the owner, services/adapters/privileges.py),
a process running as the restricted runtime role leaves them as they are: the owner
created them and migrates them (`rectrack up`, `rectrack migrate`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def creation_lock(conn: Any, schema: str) -> Iterator[None]:
    """The schema's table-creation lock, held on `conn` (a session lock, released
    whatever happens): every creator of tables in the schema takes turns on this one."""
    key = f"rectrack:create-tables:{schema}"
    conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


class SerialisedTableCreation:
    """Mixed into a library PostgreSQL recorder, before it in the bases."""

    datastore: Any

    def create_table(self) -> None:
        # A pooled connection beside the ones the creation itself takes.
        with self.datastore.get_connection() as conn:
            # Asked before the lock too: the processes `up` starts together (as the runtime
            # role) queued on it one after another only to find nothing to do, seconds of
            # a second start under load (`make bench-startup`).
            if self._owned_by_another_role(conn):
                return
            with creation_lock(conn, self.datastore.schema):
                if not self._owned_by_another_role(conn):
                    super().create_table()  # type: ignore[misc]

    def _owned_by_another_role(self, conn: Any) -> bool:
        table = getattr(self, "events_table_name", None) or getattr(
            self, "tracking_table_name", None
        )
        row = conn.execute(
            "SELECT NOT pg_has_role(c.relowner, 'USAGE') AS not_ours FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = %s",
            (self.datastore.schema, table),
        ).fetchone()
        # The library's connections return rows as dicts.
        return bool(row and (row["not_ours"] if isinstance(row, dict) else row[0]))
