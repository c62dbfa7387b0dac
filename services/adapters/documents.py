"""Documents (letters, evidence) stored content-addressed by SHA-256 in PostgreSQL.

Events carry only a document's hash; the bytes live here, in `rectrack_documents`, keyed by
that hash. Storing the same bytes twice is one row, so a retried command or a replayed
workflow step never duplicates a file, and the audit recomputes each stored document's
hash against the event that names it. The table is append-only in spirit: rows are never
updated (a changed document is a new hash)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import psycopg
from psycopg.sql import SQL, Identifier

from services.adapters.table_creation import creation_lock

TABLE = "rectrack_documents"


@dataclass(frozen=True)
class Document:
    sha256: str
    media_type: str
    size: int
    content: bytes
    created_at: datetime


class Documents(Protocol):
    """What the application needs of a document store (PostgreSQL here, memory in unit tests)."""

    def put(self, content: bytes, media_type: str) -> str: ...

    def get(self, sha256: str) -> Document | None: ...


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class DocumentStore:
    """The PostgreSQL store: `put(bytes, media_type) -> sha256`, `get(sha256) -> Document | None`.

    Each call takes a connection of its own (documents are written once and read rarely;
    they need no pool). The table is created on first use, under an advisory lock so
    processes starting together take turns."""

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
                    " sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{{64}}$'),"
                    " media_type text NOT NULL,"
                    " size bigint NOT NULL CHECK (size >= 0),"
                    " bytes bytea NOT NULL,"
                    " created_at timestamptz NOT NULL DEFAULT now())"
                ).format(self._table())
            )

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.create_table()
                    self._ready = True

    def put(self, content: bytes, media_type: str) -> str:
        """Stores the bytes (once: the same bytes again is a no-op) and returns their SHA-256."""
        self._ensure()
        digest = sha256_of(content)
        with psycopg.connect(self._url, autocommit=True) as conn:
            conn.execute(
                SQL(
                    "INSERT INTO {0} (sha256, media_type, size, bytes) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (sha256) DO NOTHING"
                ).format(self._table()),
                (digest, media_type, len(content), content),
            )
        return digest

    def get(self, sha256: str) -> Document | None:
        self._ensure()
        with psycopg.connect(self._url, autocommit=True) as conn:
            row = conn.execute(
                SQL(
                    "SELECT sha256, media_type, size, bytes, created_at FROM {0} WHERE sha256 = %s"
                ).format(self._table()),
                (sha256.lower(),),
            ).fetchone()
        if row is None:
            return None
        return Document(row[0], row[1], row[2], bytes(row[3]), row[4])

    def hashes(self) -> Iterator[tuple[str, str]]:
        """(stored key, SHA-256 recomputed from the stored bytes) for every document: what
        the audit compares with the hashes the events hold."""
        self._ensure()
        # A server-side cursor: the documents are read one at a time, never all in memory.
        with psycopg.connect(self._url) as conn, conn.cursor(name="rectrack_documents") as cur:
            cur.execute(SQL("SELECT sha256, bytes FROM {0} ORDER BY sha256").format(self._table()))
            for key, content in cur:
                yield key, sha256_of(bytes(content))


class MemoryDocumentStore:
    """The same contract in memory, for unit tests of pure logic (tests/fast)."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}

    def put(self, content: bytes, media_type: str) -> str:
        digest = sha256_of(content)
        self._docs.setdefault(
            digest, Document(digest, media_type, len(content), content, datetime.now(UTC))
        )
        return digest

    def get(self, sha256: str) -> Document | None:
        return self._docs.get(sha256.lower())
