"""What signing in keeps in PostgreSQL, outside the event store: web sessions, failed
attempts (for the lockout) and one-time links (password reset, `rectrack up`'s sign-in).

These are short-lived, mutable, per-request facts, not part of the record an auditor
replays: sessions are touched on every request and deleted at sign-out. They live in
the database (never in a process's memory) so every API process sees the same sessions
and the same lockout. Secrets (session ids, link tokens) are stored only as SHA-256
hashes: a copy of the table signs nobody in.

Time comes from the caller (`now`), so the tests move the clock instead of sleeping."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from services.adapters.table_creation import creation_lock

SESSIONS = "rectrack_web_sessions"
FAILURES = "rectrack_signin_failures"
LINKS = "rectrack_signin_links"
FLOWS = "rectrack_oidc_flows"
TOTP_USED = "rectrack_totp_used"

Connect = Callable[[], AbstractContextManager[psycopg.Connection]]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    user_id: UUID
    csrf_token: str
    created_at: datetime
    via: str


@dataclass(frozen=True)
class Lockout:
    """How failed attempts lock a key out: from the `threshold`-th failure on, for
    `base_seconds` doubled at every further failure, at most `max_seconds`. Failures
    older than `forget_after` start the count again."""

    threshold: int
    base_seconds: float = 30.0
    max_seconds: float = 3600.0
    forget_after: timedelta = timedelta(hours=24)

    def lock_for(self, failures: int) -> timedelta | None:
        if failures < self.threshold:
            return None
        seconds = self.base_seconds * 2 ** min(failures - self.threshold, 30)
        return timedelta(seconds=min(seconds, self.max_seconds))


class SignInStore:
    def __init__(self, connect: Connect, schema: str = "public") -> None:
        self._connect = connect
        self._schema = schema
        self._ready = False

    def _conn(self) -> AbstractContextManager[psycopg.Connection]:
        """A connection, the tables created first if this store has not yet made sure."""
        if not self._ready:
            self.create_tables()
            self._ready = True
        return self._connect()

    def _t(self, name: str) -> Identifier:
        return Identifier(self._schema, name)

    def create_tables(self) -> None:
        with self._connect() as conn, creation_lock(conn, self._schema):
            conn.execute(
                SQL(
                    "CREATE TABLE IF NOT EXISTS {0} ("
                    " id_hash text PRIMARY KEY, user_id uuid NOT NULL,"
                    " csrf_token text NOT NULL, via text NOT NULL,"
                    " created_at timestamptz NOT NULL, last_seen_at timestamptz NOT NULL);"
                    "CREATE INDEX IF NOT EXISTS {1} ON {0} (user_id);"
                    "CREATE TABLE IF NOT EXISTS {2} ("
                    " key text PRIMARY KEY, failures integer NOT NULL,"
                    " last_failure timestamptz NOT NULL, locked_until timestamptz);"
                    "CREATE TABLE IF NOT EXISTS {3} ("
                    " id_hash text PRIMARY KEY, user_id uuid NOT NULL, purpose text NOT NULL,"
                    " created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL,"
                    " used_at timestamptz);"
                    "CREATE TABLE IF NOT EXISTS {4} ("
                    " state_hash text PRIMARY KEY, verifier text NOT NULL,"
                    " nonce text NOT NULL, created_at timestamptz NOT NULL);"
                    "CREATE TABLE IF NOT EXISTS {5} ("
                    " user_id uuid NOT NULL, step bigint NOT NULL, PRIMARY KEY (user_id, step))"
                ).format(
                    self._t(SESSIONS),
                    Identifier(f"{SESSIONS}_user"),
                    self._t(FAILURES),
                    self._t(LINKS),
                    self._t(FLOWS),
                    self._t(TOTP_USED),
                )
            )
            if not conn.autocommit:
                conn.commit()

    # --- sessions ------------------------------------------------------------------------

    def open_session(self, user_id: UUID, via: str, now: datetime) -> tuple[str, str]:
        """A new session: (its id, for the cookie; its CSRF token, for the page)."""
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._conn() as conn:
            conn.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, %s)").format(self._t(SESSIONS)),
                (digest(session_id), user_id, csrf, via, now, now),
            )
        return session_id, csrf

    def session(
        self, session_id: str, now: datetime, *, idle: timedelta, absolute: timedelta
    ) -> Session | None:
        """The live session with this id, touched (its idle clock restarted); None when it
        is unknown, ended, or past its idle or absolute limit (then it is deleted)."""
        with self._conn() as conn:
            row = conn.execute(
                SQL(
                    "UPDATE {0} SET last_seen_at = %s WHERE id_hash = %s"
                    " AND last_seen_at > %s AND created_at > %s"
                    " RETURNING user_id, csrf_token, created_at, via"
                ).format(self._t(SESSIONS)),
                (now, digest(session_id), now - idle, now - absolute),
            ).fetchone()
            if row is None:
                conn.execute(
                    SQL("DELETE FROM {0} WHERE id_hash = %s").format(self._t(SESSIONS)),
                    (digest(session_id),),
                )
                return None
        return Session(user_id=row[0], csrf_token=row[1], created_at=row[2], via=row[3])

    def end_session(self, session_id: str) -> None:
        with self._conn() as conn:
            conn.execute(
                SQL("DELETE FROM {0} WHERE id_hash = %s").format(self._t(SESSIONS)),
                (digest(session_id),),
            )

    def end_sessions_of(self, user_id: UUID) -> int:
        """Sign the user out everywhere: every session of theirs ends. How many did."""
        with self._conn() as conn:
            cursor = conn.execute(
                SQL("DELETE FROM {0} WHERE user_id = %s").format(self._t(SESSIONS)), (user_id,)
            )
            return cursor.rowcount

    def sessions_of(self, user_id: UUID) -> int:
        with self._conn() as conn:
            row = conn.execute(
                SQL("SELECT count(*) FROM {0} WHERE user_id = %s").format(self._t(SESSIONS)),
                (user_id,),
            ).fetchone()
        return int(row[0]) if row else 0

    # --- failed attempts -----------------------------------------------------------------

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        """The latest moment any of these keys is locked out until, if any is now."""
        with self._conn() as conn:
            row = conn.execute(
                SQL(
                    "SELECT max(locked_until) FROM {0} WHERE key = ANY(%s) AND locked_until > %s"
                ).format(self._t(FAILURES)),
                (keys, now),
            ).fetchone()
        return row[0] if row else None

    def record_failure(self, key: str, policy: Lockout, now: datetime) -> datetime | None:
        """Count a failed attempt against the key; the moment it is locked until, if it is."""
        with self._conn() as conn:
            row = conn.execute(
                SQL(
                    "INSERT INTO {0} AS f VALUES (%s, 1, %s, NULL) ON CONFLICT (key) DO UPDATE"
                    " SET failures = CASE WHEN f.last_failure < %s THEN 1"
                    " ELSE f.failures + 1 END, last_failure = EXCLUDED.last_failure"
                    " RETURNING failures"
                ).format(self._t(FAILURES)),
                (key, now, now - policy.forget_after),
            ).fetchone()
            lock = policy.lock_for(int(row[0])) if row else None
            until = now + lock if lock is not None else None
            conn.execute(
                SQL("UPDATE {0} SET locked_until = %s WHERE key = %s").format(self._t(FAILURES)),
                (until, key),
            )
        return until

    def clear_failures(self, key: str) -> None:
        with self._conn() as conn:
            conn.execute(SQL("DELETE FROM {0} WHERE key = %s").format(self._t(FAILURES)), (key,))

    # --- one-time links ------------------------------------------------------------------

    def issue_link(self, user_id: UUID, purpose: str, now: datetime, ttl: timedelta) -> str:
        token = secrets.token_urlsafe(32)
        with self._conn() as conn:
            conn.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s, %s, NULL)").format(self._t(LINKS)),
                (digest(token), user_id, purpose, now, now + ttl),
            )
        return token

    def link_user(self, token: str, purpose: str, now: datetime) -> UUID | None:
        """Whose link this is, if it is unused and unexpired (it stays unused)."""
        with self._conn() as conn:
            row = conn.execute(
                SQL(
                    "SELECT user_id FROM {0} WHERE id_hash = %s AND purpose = %s"
                    " AND used_at IS NULL AND expires_at > %s"
                ).format(self._t(LINKS)),
                (digest(token), purpose, now),
            ).fetchone()
        return row[0] if row else None

    def use_link(self, token: str, purpose: str, now: datetime) -> UUID | None:
        """Use the link up (once: a second use, or one after it expired, finds nothing)."""
        with self._conn() as conn:
            row = conn.execute(
                SQL(
                    "UPDATE {0} SET used_at = %s WHERE id_hash = %s AND purpose = %s"
                    " AND used_at IS NULL AND expires_at > %s RETURNING user_id"
                ).format(self._t(LINKS)),
                (now, digest(token), purpose, now),
            ).fetchone()
        return row[0] if row else None

    # --- second-factor codes ------------------------------------------------------------

    def use_totp_step(self, user_id: UUID, step: int) -> bool:
        """Mark a user's TOTP step used; False when it already was (a replayed code)."""
        with self._conn() as conn:
            conn.execute(
                SQL("DELETE FROM {0} WHERE user_id = %s AND step < %s").format(self._t(TOTP_USED)),
                (user_id, step - 10),
            )
            cursor = conn.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                    self._t(TOTP_USED)
                ),
                (user_id, step),
            )
            return cursor.rowcount == 1

    # --- single sign-on flows ------------------------------------------------------------

    def begin_flow(self, state: str, verifier: str, nonce: str, now: datetime) -> None:
        """Keep a sign-on's PKCE verifier and nonce until its one callback."""
        with self._conn() as conn:
            conn.execute(
                SQL("DELETE FROM {0} WHERE created_at < %s").format(self._t(FLOWS)),
                (now - timedelta(hours=1),),
            )
            conn.execute(
                SQL("INSERT INTO {0} VALUES (%s, %s, %s, %s)").format(self._t(FLOWS)),
                (digest(state), verifier, nonce, now),
            )

    def take_flow(self, state: str, now: datetime, ttl: timedelta) -> tuple[str, str] | None:
        """(verifier, nonce) of the flow this state began, once, if it is recent enough."""
        with self._conn() as conn:
            row = conn.execute(
                SQL(
                    "DELETE FROM {0} WHERE state_hash = %s AND created_at > %s"
                    " RETURNING verifier, nonce"
                ).format(self._t(FLOWS)),
                (digest(state), now - ttl),
            ).fetchone()
        return (row[0], row[1]) if row else None


def connecting(database_url: str) -> Connect:
    """Connections of their own, for the CLI and `rectrack up` (the API uses its pool)."""
    return lambda: psycopg.connect(database_url, autocommit=True)
