"""A leader lease for the processes that must run once per schema (the relay and the
projector): a session-level PostgreSQL advisory lock held on a connection of its own.

Extra replicas wait as hot standbys, trying the lock every `retry_seconds`. The lock
lives exactly as long as the leader's session: when the leader dies (kill -9, a lost
node) the server ends the session and frees the lock, and a standby takes over on its
next try. Being a leader is an efficiency measure, not the correctness one: the view
and relay positions are tracked transactionally, so a brief overlap delivers nothing
twice (a duplicate tracking row is refused, a relayed event is recognised by its id).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from typing import Any

import psycopg
import structlog

log = structlog.get_logger(__name__)

RETRY_SECONDS = 1.5


def lease_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a lease name."""
    digest = hashlib.blake2b(f"rectrack lease {name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Lease:
    """One process's claim on the lease `name` (e.g. "projector:public")."""

    def __init__(self, database_url: str, name: str, *, retry_seconds: float = RETRY_SECONDS):
        self.database_url = database_url
        self.name = name
        self.key = lease_key(name)
        self.retry_seconds = retry_seconds
        self._conn: psycopg.Connection[Any] | None = None
        self.held = False

    def try_acquire(self) -> bool:
        """Takes the lease if it is free; False if another session holds it or the
        database does not answer."""
        if self.held and self.still_held():
            return True
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self.database_url,
                    autocommit=True,
                    connect_timeout=5,
                    application_name=f"rectrack lease {self.name}"[:63],
                    # A leader whose host vanishes must lose the lease within seconds.
                    keepalives=1,
                    keepalives_idle=5,
                    keepalives_interval=2,
                    keepalives_count=3,
                )
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        except psycopg.Error as error:
            log.warning("lease: database unavailable", lease=self.name, error=str(error)[:200])
            self._drop()
            return False
        self.held = bool(row and row[0])
        if self.held:
            log.info("lease taken: this process leads", lease=self.name)
        return self.held

    def still_held(self) -> bool:
        """Whether the session that took the lease is still alive (and so still holds it)."""
        if not self.held or self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error as error:
            log.warning("lease lost", lease=self.name, error=str(error)[:200])
            self._drop()
            return False
        return True

    def wait(self, stop: threading.Event) -> bool:
        """Blocks as a standby until the lease is taken (True) or `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            if self.try_acquire():
                return True
            if not announced:
                log.info("lease held elsewhere: standing by", lease=self.name)
                announced = True
            stop.wait(self.retry_seconds)
        return False

    def release(self) -> None:
        if self._conn is not None and not self._conn.closed and self.held:
            # Closing the session below frees it anyway.
            with contextlib.suppress(psycopg.Error):
                self._conn.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        self._drop()

    def _drop(self) -> None:
        self.held = False
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None
