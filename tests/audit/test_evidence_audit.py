"""`rectrack audit evidence`: every evidence document recomputed against the SHA-256 its
EvidenceAttached event holds; a document altered or removed in the database is named and
the command fails."""

from __future__ import annotations

import psycopg
import pytest

from domain.attachments import Supports
from services.adapters.documents import DocumentStore
from services.application.commands.recommendations import AttachEvidence
from services.cli import main
from tests.builders import Commander, authority, issued_recommendation, reply

PDF = b"%PDF-1.7\n% a reply letter\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_audit_evidence_names_an_altered_and_a_missing_document(
    run: Commander,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    rec = issued_recommendation(run, authority(run))
    reply(run, rec)
    store = DocumentStore(database_url, schema)
    hashes = []
    for content, media_type, name in (
        (PDF, "application/pdf", "reply.pdf"),
        (PNG, "image/png", "yard.png"),
    ):
        sha256 = store.put(content, media_type)
        hashes.append(sha256)
        attach = AttachEvidence(
            sha256=sha256,
            filename=name,
            media_type=media_type,
            size=len(content),
            supports=Supports.RESPONSE,
            index=0,
        )
        run(attach, rec)
    assert main(["audit", "evidence"]) == 0
    assert "2 stored document(s), 2 named by evidence events" in capsys.readouterr().out

    table = f'"{schema}".rectrack_documents'
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"UPDATE {table} SET bytes = %s WHERE sha256 = %s", (b"forged", hashes[0]))
        conn.execute(f"DELETE FROM {table} WHERE sha256 = %s", (hashes[1],))
    assert main(["audit", "evidence"]) == 1
    err = capsys.readouterr().err
    assert f"ALTERED {hashes[0]}: its bytes now hash to" in err
    assert f"MISSING {hashes[1]} named by {rec}" in err and "yard.png" in err
