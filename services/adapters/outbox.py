"""The send record of every e-mail, in PostgreSQL (`rectrack_mail_outbox`): what makes a
redelivered activity, or one retried after its worker was killed, not send twice.

One row per send key. An attempt runs under an advisory lock on the key (two workers
handed the same activity take turns), and moves the row through

    reserved --(commit)--> sending (attempt n) --SMTP accepted--> sent (commit)

A retry that finds `sent` does not send again; it only records the event. The one window
left is a crash after the server accepted the message and before `sent` was committed
(a few milliseconds): the retry finds `sending`, cannot know whether the server has it,
and sends again, with the same Message-ID (derived from the key), so the receiving
server or mail client can recognise the copy; the event records the number of attempts.
A letter that arrives twice with one Message-ID is the lesser harm than one that never
arrives. The table is the runtime role's (it updates the state), beside the read models."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from services.adapters.table_creation import creation_lock

TABLE = "rectrack_mail_outbox"

RESERVED, SENDING, SENT = "reserved", "sending", "sent"


@dataclass
class Attempt:
    """One attempt at a send, under the key's lock: `state` as found, `attempts` before
    this one."""

    key: str
    state: str
    attempts: int
    _conn: psycopg.Connection[Any]
    _table: Any

    def sending(self) -> None:
        """Committed before the server is contacted: a later attempt knows this one may
        have reached it."""
        row = self._conn.execute(
            SQL(
                "UPDATE {0} SET state = %s, attempts = attempts + 1, attempted_at = now() "
                "WHERE key = %s RETURNING attempts"
            ).format(self._table),
            (SENDING, self.key),
        ).fetchone()
        self.state, self.attempts = SENDING, int(row[0]) if row else self.attempts + 1

    def refused(self) -> None:
        """The server refused the message for good (a 5xx answer): nothing was delivered,
        so the key is only reserved again."""
        self._conn.execute(
            SQL("UPDATE {0} SET state = %s WHERE key = %s").format(self._table),
            (RESERVED, self.key),
        )
        self.state = RESERVED

    def sent(self) -> None:
        self._conn.execute(
            SQL("UPDATE {0} SET state = %s, sent_at = now() WHERE key = %s").format(self._table),
            (SENT, self.key),
        )
        self.state = SENT


class Outbox:
    def __init__(self, database_url: str, schema: str = "public") -> None:
        self._url = database_url
        self._schema = schema
        self._ready = False
        self._lock = threading.Lock()

    def _table(self) -> Identifier:
        return Identifier(self._schema, TABLE)

    def create_table(self) -> None:
        with psycopg.connect(self._url, autocommit=True) as conn, creation_lock(conn, self._schema):
            conn.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} ("
                    " key text PRIMARY KEY,"
                    " message_id text NOT NULL,"
                    " purpose text NOT NULL,"
                    " recipients text[] NOT NULL,"
                    " subject text NOT NULL,"
                    " state text NOT NULL CHECK (state IN ('reserved', 'sending', 'sent')),"
                    " attempts integer NOT NULL DEFAULT 0,"
                    " reserved_at timestamptz NOT NULL DEFAULT now(),"
                    " attempted_at timestamptz,"
                    " sent_at timestamptz)"
                ).format(self._table())
            )

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.create_table()
                    self._ready = True

    @contextmanager
    def attempt(
        self, key: str, message_id: str, purpose: str, recipients: list[str], subject: str
    ) -> Iterator[Attempt]:
        """Reserves the key (once) and holds its lock while the caller sends."""
        self._ensure()
        with psycopg.connect(self._url, autocommit=True) as conn:
            lock = f"rectrack:mail:{key}"
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (lock,))
            try:
                conn.execute(
                    SQL(
                        "INSERT INTO {0} (key, message_id, purpose, recipients, subject, state) "
                        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING"
                    ).format(self._table()),
                    (key, message_id, purpose, recipients, subject, RESERVED),
                )
                row = conn.execute(
                    SQL("SELECT state, attempts FROM {0} WHERE key = %s").format(self._table()),
                    (key,),
                ).fetchone()
                assert row is not None  # inserted above, and rows are never deleted
                yield Attempt(key, str(row[0]), int(row[1]), conn, self._table())
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (lock,))

    def record(self, key: str) -> dict[str, Any] | None:
        """The send record of `key` (for the audit and the tests)."""
        self._ensure()
        with psycopg.connect(self._url, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(
                SQL(
                    "SELECT key, message_id, purpose, recipients, subject, state, attempts, "
                    "sent_at FROM {0} WHERE key = %s"
                ).format(self._table()),
                (key,),
            )
            row = cur.fetchone()
            if row is None:
                return None
            names = [column.name for column in cur.description or ()]
            return dict(zip(names, row, strict=True))
