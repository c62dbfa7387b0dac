"""Table creation that tolerates many processes starting at once.

Every rectrack process creates the tables, types, functions and indexes it needs when it
starts (the library's recorders do so with CREATE ... IF NOT EXISTS, CREATE TYPE in a
transaction of its own, and CREATE OR REPLACE). PostgreSQL does not make those
statements safe against each other: two API workers, or the projector and the relay,
starting together fail with "tuple concurrently updated" or a duplicate key on the
catalog. An advisory lock per schema, held on a connection of its own for the whole
creation, makes the creators take turns; the second finds everything in place."""

from __future__ import annotations

from typing import Any


class SerialisedTableCreation:
    """Mixed into a library PostgreSQL recorder, before it in the bases."""

    datastore: Any

    def create_table(self) -> None:
        key = f"rectrack:create-tables:{self.datastore.schema}"
        # A pooled connection beside the ones the creation itself takes: the lock is a
        # session lock, released below whatever happens.
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
            try:
                super().create_table()  # type: ignore[misc]
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))
