"""The content-addressed document store on the real PostgreSQL: put returns the SHA-256,
the same bytes are stored once, get returns them, and the audit's recomputed hashes match."""

from __future__ import annotations

import hashlib

import psycopg

from services.adapters.documents import DocumentStore


def test_put_get_once_and_hashes(database_url: str, schema: str) -> None:
    store = DocumentStore(database_url, schema)
    content = b"%PDF-1.7 a letter"
    digest = store.put(content, "application/pdf")
    assert digest == hashlib.sha256(content).hexdigest()
    assert store.put(content, "application/pdf") == digest  # the same bytes: one row
    doc = store.get(digest)
    assert doc is not None
    assert (doc.content, doc.media_type, doc.size) == (content, "application/pdf", len(content))
    assert store.get("0" * 64) is None
    with psycopg.connect(database_url) as conn:
        count = conn.execute(f'SELECT count(*) FROM "{schema}".rectrack_documents').fetchone()
    assert count == (1,)
    assert list(store.hashes()) == [(digest, digest)]


def test_a_tampered_document_shows_in_the_recomputed_hash(database_url: str, schema: str) -> None:
    store = DocumentStore(database_url, schema)
    digest = store.put(b"original", "text/plain")
    with psycopg.connect(database_url) as conn:
        conn.execute(f'UPDATE "{schema}".rectrack_documents SET bytes = %s', (b"forged",))
    [(key, recomputed)] = list(store.hashes())
    assert key == digest and recomputed != digest
