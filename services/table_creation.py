"""Table creation that tolerates many processes starting at once.

Every rectrack process creates the tables, functions and indexes it needs when it starts
(the library's recorders do so with CREATE ... IF NOT EXISTS and CREATE OR REPLACE).
PostgreSQL does not make those statements safe against each other: two API workers, or
the projector and the relay, starting together fail with "tuple concurrently updated" or
a duplicate key on the catalog. A transaction-scoped advisory lock per schema makes the
creators take turns; the second finds everything in place."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg.rows import DictRow

LOCK = "SELECT pg_advisory_xact_lock(hashtext(%s))"


class SerialisedTableCreation:
    """Mixed into a library PostgreSQL recorder, before it in the bases."""

    datastore: Any

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        curs.execute(LOCK, (f"rectrack:create-tables:{self.datastore.schema}",))
        super()._create_table(curs)  # type: ignore[misc]
