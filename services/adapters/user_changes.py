"""Every process learns at once that a user changed (a token revoked, a role taken away,
a user disabled), through PostgreSQL's LISTEN/NOTIFY.

The event store sends `NOTIFY rectrack_users, '<schema>:<user id>'` in the transaction that
appends a user's events (event_store.py), so the notice is delivered exactly when the
change is committed, whichever process made it (API, CLI, worker). A `UserChanges`
listener in each API process hands the user ids to a callback (the authentication cache
drops them), and keeps the set of user ids that exist, so that a token naming a user who
does not exist is refused without a database read. While the listener is not connected,
`live` is false and its owner must fall back to short-lived caching: notices sent while
nobody listened are lost, so on every (re)connection the owner is told to forget all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from uuid import UUID

import psycopg
import structlog
from psycopg.sql import SQL, Identifier

from services.adapters.database import plain_conninfo
from services.adapters.event_store import USER_CHANGES_CHANNEL, USER_TOPIC

log = structlog.get_logger(__name__)


def existing_user_ids(conn: psycopg.Connection, schema: str, events_table: str) -> set[UUID]:
    """Every user id in the store (a user's first event is its creation)."""
    rows = conn.execute(
        SQL("SELECT originator_id FROM {0}.{1} WHERE originator_version = 1 AND topic = %s").format(
            Identifier(schema), Identifier(events_table)
        ),
        (USER_TOPIC + "Created",),
    ).fetchall()
    return {UUID(str(row[0])) for row in rows}


class UserChanges:
    """A daemon thread LISTENing for user changes of one schema."""

    def __init__(
        self,
        database_url: str,
        schema: str,
        *,
        changed: Callable[[UUID], None],
        reconnected: Callable[[set[UUID]], None],
        disconnected: Callable[[], None],
        events_table: str = "rectrack_events",
        retry_seconds: float = 1.0,
    ) -> None:
        self.conninfo = plain_conninfo(database_url, connect_timeout=5)
        self.schema = schema
        self.events_table = events_table
        self.changed = changed
        self.reconnected = reconnected
        self.disconnected = disconnected
        self.retry_seconds = retry_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: set once listening (tests and start-up wait on it)
        self.listening = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="user-changes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        prefix = f"{self.schema}:"
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(SQL("LISTEN {0}").format(Identifier(USER_CHANGES_CHANNEL)))
                    # Listening first, then reading who exists: a user created in between
                    # is both in the set and announced, never neither.
                    self.reconnected(existing_user_ids(conn, self.schema, self.events_table))
                    self.listening.set()
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=0.5):
                            if note.payload.startswith(prefix):
                                self.changed(UUID(note.payload[len(prefix) :]))
            except (psycopg.Error, OSError, ValueError) as error:
                self.listening.clear()
                self.disconnected()
                log.warning("user changes: not listening, retrying", error=str(error)[:200])
                self._stop.wait(self.retry_seconds)
        self.listening.clear()
        self.disconnected()
