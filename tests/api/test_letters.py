"""Letters through the API on real PostgreSQL: a caseworker writes one by hand, it is
listed on the recommendation and on its report and downloaded as an attachment (nosniff),
the bytes hashing to what the listing says; an authority's liaison lists and downloads
its own authority's letters and gets a 404 for another's; a bad request names the field
and records nothing."""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import docx
from fastapi.testclient import TestClient
from pypdf import PdfReader

from domain.recommendation import Recommendation
from domain.values import ReportKind, Role
from services.application.commands.registry import RecordAuthorityContact, RegisterReport
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, issued_recommendation

RECENT = date.today() - timedelta(days=10)


def write(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/letters", json=body, headers=bearer(token))


def test_write_list_and_download_a_letter(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    ministry = authority(run, name="Ministerio del Interior")
    run(RecordAuthorityContact(postal_address="Paseo de la Castellana 5", language="es"), ministry)
    report = run(
        RegisterReport(
            kind=ReportKind.VISIT_REPORT,
            title="Visita al centro de Aluche",
            report_date=RECENT,
            send_to=[ministry],
        ),
        on=RECENT,
    ).aggregate_id
    rec = issued_recommendation(run, ministry, RECENT, report_id=report, text="Abrir el patio")
    other = issued_recommendation(run, ministry, RECENT, report_id=report, text="Reparar duchas")

    answer = write(
        client,
        carla,
        {"kind": "reminder", "report_id": str(report), "recommendation_ids": [str(rec)]},
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == str(report)
    transmittal = write(
        client,
        carla,
        {"kind": "transmittal", "report_id": str(report), "authority_id": str(ministry)},
    )
    assert transmittal.status_code == 201, transmittal.text

    listed = client.get(f"/api/v1/recommendations/{rec}/letters", headers=bearer(carla))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert {(x["kind"], x["language"], x["written_by"]) for x in items} == {
        ("reminder", "es", "carla"),
        ("transmittal", "es", "carla"),
    }
    reminder = next(x for x in items if x["kind"] == "reminder")
    assert reminder["authority_name"] == "Ministerio del Interior"
    assert reminder["report_title"] == "Visita al centro de Aluche"
    assert reminder["due_on"] == app.get(Recommendation, rec).reply_due.isoformat()  # type: ignore[union-attr]
    # the other recommendation is named by the transmittal only
    theirs = client.get(f"/api/v1/recommendations/{other}/letters", headers=bearer(carla))
    assert [x["kind"] for x in theirs.json()["items"]] == ["transmittal"]
    on_report = client.get(f"/api/v1/reports/{report}/letters", headers=bearer(carla))
    assert [x["kind"] for x in on_report.json()["items"]] == ["reminder", "transmittal"]

    pdf, word = reminder["documents"]
    got = client.get(
        f"/api/v1/recommendations/{rec}/letters/{pdf['sha256']}", headers=bearer(carla)
    )
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment; filename=")
    assert pdf["filename"] in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == pdf["sha256"]
    text = PdfReader(io.BytesIO(got.content)).pages[0].extract_text()
    assert "Recordatorio" in text and "Abrir el patio" in text
    got_docx = client.get(
        f"/api/v1/reports/{report}/letters/{word['sha256']}", headers=bearer(carla)
    )
    paragraphs = [p.text for p in docx.Document(io.BytesIO(got_docx.content)).paragraphs]
    assert "Paseo de la Castellana 5" in paragraphs
    # a hash no letter here names is not found, even if stored
    stray = client.get(
        f"/api/v1/recommendations/{other}/letters/{pdf['sha256']}", headers=bearer(carla)
    )
    assert stray.status_code == 404


def test_a_liaison_sees_its_own_authoritys_letters_only(
    client: TestClient, executor: Executor, run: Commander
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    ours, theirs = authority(run, name="Ours"), authority(run, name="Theirs")
    lia = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=ours)
    mine = issued_recommendation(run, ours, RECENT)
    other = issued_recommendation(run, theirs, RECENT)
    for rec in (mine, other):
        body = {"kind": "reminder", "recommendation_ids": [str(rec)]}
        assert write(client, carla, body).status_code == 201

    listed = client.get(f"/api/v1/recommendations/{mine}/letters", headers=bearer(lia))
    assert listed.status_code == 200
    (letter,) = listed.json()["items"]
    sha = letter["documents"][0]["sha256"]
    got = client.get(f"/api/v1/recommendations/{mine}/letters/{sha}", headers=bearer(lia))
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")

    hidden = client.get(f"/api/v1/recommendations/{other}/letters", headers=bearer(lia))
    assert hidden.status_code == 404
    their_sha = client.get(
        f"/api/v1/recommendations/{other}/letters", headers=bearer(carla)
    ).json()["items"][0]["documents"][0]["sha256"]
    for path in (f"{other}/letters/{their_sha}", f"{mine}/letters/{their_sha}"):
        assert client.get(f"/api/v1/recommendations/{path}", headers=bearer(lia)).status_code == 404
    # staff read it in the recommendation's history; the liaison's history leaves it out
    history = client.get(f"/api/v1/recommendations/{mine}/history", headers=bearer(carla))
    lines = [e["summary"] for e in history.json()["events"]]
    assert (
        "Carla wrote the letter \u201creminder before the reply is due\u201d, in English." in lines
    )
    theirs = client.get(f"/api/v1/recommendations/{mine}/history", headers=bearer(lia))
    assert theirs.status_code == 200 and "LetterGenerated" not in theirs.text
    # a liaison writes no letter
    assert (
        write(client, lia, {"kind": "reminder", "recommendation_ids": [str(mine)]}).status_code
        == 403
    )


def test_a_bad_request_names_the_field_and_records_nothing(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    carla = make_user(executor, "carla", Role.CASEWORKER)
    rec = issued_recommendation(run, authority(run), RECENT)
    version = app.get(Recommendation, rec).version
    for body, field in (
        ({"kind": "reminder", "recommendation_ids": [str(rec)], "level": 1}, "level"),
        ({"kind": "escalation", "recommendation_ids": [str(rec)], "level": 9}, "level"),
        ({"kind": "letter", "recommendation_ids": [str(rec)]}, "kind"),
        ({"kind": "reminder", "recommendation_ids": [str(UUID(int=1))]}, "recommendation_ids[0]"),
        ({"kind": "reminder", "recommendation_ids": [str(rec)], "language": "de"}, "language"),
    ):
        answer = write(client, carla, body)
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.text, (body, answer.text)
    assert app.get(Recommendation, rec).version == version
    assert client.get(f"/api/v1/recommendations/{rec}/letters", headers=bearer(carla)).json() == {
        "items": []
    }
