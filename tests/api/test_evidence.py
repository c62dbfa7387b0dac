"""Evidence documents through the API on real PostgreSQL: stored by their SHA-256, the
type judged by the bytes, a liaison limited to its own authority's responses, downloads
that a browser saves rather than shows, the size limit, and the audit that finds a
document altered or missing after the fact. Internal comments and publication as well."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, timedelta
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from domain.recommendation import Recommendation
from domain.values import Role
from services.adapters.documents import DocumentStore
from services.api import create_app
from services.application.commands.recommendations import RecordFollowUp
from services.application.evidence_audit import audit_evidence
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, issued_recommendation, reply

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
RECENT = date.today() - timedelta(days=10)


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def answered(run: Commander, authority_id: UUID) -> UUID:
    rec = issued_recommendation(run, authority_id, RECENT)
    reply(run, rec, RECENT + timedelta(days=2), text="We agree and attach our plan")
    return rec


def upload(client: TestClient, rec: UUID, content: bytes, token: str, **query: object) -> object:
    params = {"supports": "response", "index": 0, "filename": "plan.pdf", **query}
    return client.post(
        f"/api/v1/recommendations/{rec}/evidence",
        params=params,
        content=content,
        headers={**bearer(token), "Content-Type": "application/octet-stream"},
    )


def test_attach_download_and_audit(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack, runtime: Runtime
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    rec = answered(run, authority(run))

    attached = upload(client, rec, PDF_BYTES, carla, filename="Plan d'action été.pdf")
    assert attached.status_code == 200, attached.text  # type: ignore[attr-defined]
    (document,) = app.get(Recommendation, rec).evidence
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    assert document == {
        "sha256": sha256,
        "filename": "Plan d'action été.pdf",
        "media_type": "application/pdf",
        "size": len(PDF_BYTES),
        "supports": "response",
        "index": 0,
    }
    history = client.get(f"/api/v1/recommendations/{rec}/history", headers=bearer(carla)).json()
    assert history["events"][-1]["event"] == "EvidenceAttached"
    assert "as evidence for the response 1" in history["events"][-1]["summary"]

    got = client.get(f"/api/v1/recommendations/{rec}/evidence/{sha256}", headers=bearer(carla))
    assert got.status_code == 200
    assert got.content == PDF_BYTES
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert (
        "filename*=UTF-8''Plan%20d%27action%20%C3%A9t%C3%A9.pdf"
        in got.headers["content-disposition"]
    )
    # a hash this recommendation does not name opens nothing, even if stored
    other = answered(run, authority(run))
    assert (
        client.get(
            f"/api/v1/recommendations/{other}/evidence/{sha256}", headers=bearer(carla)
        ).status_code
        == 404
    )

    store = DocumentStore(runtime.database_url, runtime.settings.database_schema)
    assert audit_evidence(app, store).intact
    with psycopg.connect(runtime.database_url, autocommit=True) as conn:
        conn.execute(
            f'UPDATE "{runtime.settings.database_schema}".rectrack_documents '
            "SET bytes = %s WHERE sha256 = %s",
            (PDF_BYTES + b"altered", sha256),
        )
    altered = audit_evidence(app, store)
    assert [a.split(":")[0] for a in altered.altered] == [sha256] and not altered.intact
    with psycopg.connect(runtime.database_url, autocommit=True) as conn:
        conn.execute(
            f'DELETE FROM "{runtime.settings.database_schema}".rectrack_documents '
            "WHERE sha256 = %s",
            (sha256,),
        )
    missing = audit_evidence(app, store)
    assert missing.missing == [f"{sha256} named by {rec} v4: Plan d'action été.pdf"]


def test_the_type_is_judged_by_the_bytes_and_nothing_is_half_written(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    rec = answered(run, authority(run))
    before = app.recorder.max_notification_id()

    html = upload(client, rec, b"<html><script>alert(1)</script></html>", carla)
    assert html.status_code == 422  # type: ignore[attr-defined]
    assert html.json()["field"] == "body"  # type: ignore[attr-defined]
    lying = client.post(
        f"/api/v1/recommendations/{rec}/evidence",
        params={"supports": "response", "index": 0, "filename": "photo.png"},
        content=PDF_BYTES,
        headers={**bearer(carla), "Content-Type": "image/png"},
    )
    assert lying.status_code == 422 and lying.json()["field"] == "Content-Type"
    no_such_reply = upload(client, rec, PDF_BYTES, carla, index=3)
    assert no_such_reply.status_code == 422  # type: ignore[attr-defined]
    assert no_such_reply.json()["field"] == "index"  # type: ignore[attr-defined]
    folder = upload(client, rec, PDF_BYTES, carla, filename="../etc/passwd")
    assert folder.status_code == 422  # type: ignore[attr-defined]
    assert app.recorder.max_notification_id() == before

    word = upload(client, rec, docx_bytes(), carla, filename="plan.docx")
    assert word.status_code == 200, word.text  # type: ignore[attr-defined]
    assert (
        app.get(Recommendation, rec).evidence[0]["media_type"].endswith("wordprocessingml.document")
    )


def test_a_liaison_attaches_to_its_own_authoritys_responses_only(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    own_authority = authority(run)
    lia = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=own_authority)
    own = answered(run, own_authority)
    elsewhere = answered(run, authority(run))

    assert upload(client, own, PDF_BYTES, lia).status_code == 200  # type: ignore[attr-defined]
    assert app.get(Recommendation, own).evidence[0]["supports"] == "response"
    before = app.recorder.max_notification_id()
    to_follow_up = upload(client, own, PDF_BYTES, lia, supports="follow_up")
    assert to_follow_up.status_code == 403  # type: ignore[attr-defined]
    assert upload(client, elsewhere, PDF_BYTES, lia).status_code == 404  # type: ignore[attr-defined]
    assert app.recorder.max_notification_id() == before
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    # its own authority's responses' documents are shared with it (domain/publication.py)
    download = client.get(f"/api/v1/recommendations/{own}/evidence/{sha256}", headers=bearer(lia))
    assert download.status_code == 200 and download.content == PDF_BYTES


def test_the_list_names_who_attached_and_a_liaison_sees_its_responses_documents_only(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    own_authority = authority(run)
    carla = make_user(executor, "carla", Role.CASEWORKER)
    lia = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=own_authority)
    rec = answered(run, own_authority)
    run(RecordFollowUp(happened_on=RECENT + timedelta(days=3), kind="meeting", summary="Met"), rec)
    assert upload(client, rec, PDF_BYTES, lia, filename="reply.pdf").status_code == 200  # type: ignore[attr-defined]
    notes = upload(client, rec, docx_bytes(), carla, supports="follow_up", filename="notes.docx")
    assert notes.status_code == 200  # type: ignore[attr-defined]
    staff_photo = upload(client, rec, PNG_BYTES, carla, filename="cell.png")
    assert staff_photo.status_code == 200  # type: ignore[attr-defined]

    staff = client.get(f"/api/v1/recommendations/{rec}/evidence", headers=bearer(carla)).json()
    assert [(d["filename"], d["supports"], d["attached_by"]) for d in staff["items"]] == [
        ("reply.pdf", "response", "lia"),
        ("notes.docx", "follow_up", "carla"),
        ("cell.png", "response", "carla"),
    ]
    assert staff["max_bytes"] > 0 and "application/pdf" in staff["allowed_types"]
    assert staff["items"][0]["size"] == len(PDF_BYTES) and staff["items"][0]["attached_at"]

    shared = client.get(f"/api/v1/recommendations/{rec}/evidence", headers=bearer(lia)).json()
    # no follow-up papers, and the NPM's staff unnamed
    assert [(d["filename"], d["attached_by"]) for d in shared["items"]] == [
        ("reply.pdf", "lia"),
        ("cell.png", None),
    ]
    notes_sha = hashlib.sha256(docx_bytes()).hexdigest()
    hidden = client.get(f"/api/v1/recommendations/{rec}/evidence/{notes_sha}", headers=bearer(lia))
    assert hidden.status_code == 404
    elsewhere = answered(run, authority(run))
    other = client.get(f"/api/v1/recommendations/{elsewhere}/evidence", headers=bearer(lia))
    assert other.status_code == 404


def test_a_document_over_the_limit_is_a_413(
    runtime: Runtime, executor: Executor, run: Commander, app: Rectrack
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    rec = answered(run, authority(run))
    small = Runtime(
        settings=runtime.settings.model_copy(update={"document_max_bytes": 2048}),
        database_url=runtime.database_url,
        app=runtime.app,
    )
    with TestClient(create_app(small, read_pool_size=1)) as client:
        big = upload(client, rec, PDF_BYTES + b"0" * 3000, carla)
        assert big.status_code == 413  # type: ignore[attr-defined]
        assert upload(client, rec, PDF_BYTES, carla).status_code == 200  # type: ignore[attr-defined]
    assert len(app.get(Recommendation, rec).evidence) == 1


def test_comments_are_internal_and_publication_is_once(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    own_authority = authority(run)
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    lia = bearer(make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=own_authority))
    rec = issued_recommendation(run, own_authority, RECENT)
    path = f"/api/v1/recommendations/{rec}"

    said = client.post(f"{path}/comments", json={"text": "Minister's office called"}, headers=carla)
    assert said.status_code == 200, said.text
    assert client.post(f"{path}/comments", json={"text": "  "}, headers=carla).status_code == 422
    staff_view = client.get(f"{path}/history", headers=carla).json()["events"]
    assert "commented: Minister's office called" in staff_view[-1]["summary"]
    liaison_view = client.get(f"{path}/history", headers=lia).json()["events"]
    assert "CommentAdded" not in [e["event"] for e in liaison_view]
    assert "Minister" not in str(client.get(f"{path}/timeline", headers=lia).json())

    assert client.post(f"{path}/publication", json={}, headers=lia).status_code == 403
    assert client.post(f"{path}/publication", json={}, headers=carla).status_code == 200
    again = client.post(f"{path}/publication", json={}, headers=carla)
    assert again.status_code == 422 and "already" in again.json()["message"]
    assert app.get(Recommendation, rec).published_on == date.today()
