"""Reads of internal records are recorded as events, with the query, and auditors see
them: through the API (`GET /access-records`) and `rectrack audit access`. The CLI's own
audit reads are recorded too, as the operating-system user."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from domain.access import AccessLog, access_log_id
from domain.user import user_id_for
from domain.values import Role
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack
from services.cli import main
from tests.api.conftest import bearer, make_user
from tests.builders import Commander, authority, issued_recommendation


def test_history_as_of_and_timeline_reads_are_recorded_for_auditors(
    client: TestClient, executor: Executor, run: Commander, app: Rectrack
) -> None:
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=20))
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    auditor = bearer(make_user(executor, "aude", Role.AUDITOR))
    past = (date.today() - timedelta(days=5)).isoformat()
    assert client.get(f"/api/v1/recommendations/{rec}/history", headers=carla).status_code == 200
    as_of = client.get(f"/api/v1/recommendations/{rec}?as_of={past}&basis=business", headers=carla)
    assert as_of.status_code == 200, as_of.text
    assert client.get(f"/api/v1/recommendations/{rec}/timeline", headers=carla).status_code == 200
    assert client.get(f"/api/v1/stats/status-as-of?date={past}", headers=carla).status_code == 200
    assert client.get(f"/api/v1/recommendations/{rec}", headers=carla).status_code == 200  # now

    # The reads are events of carla's access log of the day, so the audit covers them.
    log = app.get(AccessLog, access_log_id(str(user_id_for("carla")), date.today()))
    assert log.reads == 4

    listed = client.get("/api/v1/access-records", headers=auditor)
    assert listed.status_code == 200, listed.text
    records = listed.json()["records"]
    assert [(r["reader"], r["kind"]) for r in records] == [
        ("carla", "history"),
        ("carla", "as_of"),
        ("carla", "timeline"),
        ("carla", "as_of"),
    ]
    assert records[1]["recommendation_id"] == str(rec)
    assert records[1]["query"] == {"as_of": past, "basis": "business"}
    assert records[3]["recommendation_id"] is None
    assert records[3]["query"] == {"date": past, "basis": "business"}
    assert all(r["reader_role"] == "caseworker" and r["request_id"] for r in records)

    one = client.get(
        f"/api/v1/access-records?recommendation_id={rec}&kind=history", headers=auditor
    ).json()["records"]
    assert [r["kind"] for r in one] == ["history"]
    by_reader = client.get("/api/v1/access-records?reader=aude", headers=auditor).json()
    assert by_reader["records"] == []
    refused = client.get("/api/v1/access-records", headers=carla)
    assert refused.status_code == 403
    bad = client.get("/api/v1/access-records?since=2026-02-01&until=2026-01-01", headers=auditor)
    assert bad.status_code == 422 and bad.json()["field"] == "since"


def test_rectrack_audit_access_lists_reads_and_records_its_own(
    settings: Settings,
    run: Commander,
    executor: Executor,
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=20))
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    client.get(f"/api/v1/recommendations/{rec}/history", headers=carla)
    assert main(["audit", "as-of", date.today().isoformat(), str(rec)]) == 0
    capsys.readouterr()

    assert main(["audit", "access"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert f"carla (caseworker) read the history of {rec}" in lines[0]
    assert "cli:" in lines[1] and f"read the as-of of {rec}" in lines[1]
    assert f"date={date.today().isoformat()}" in lines[1]
    assert lines[-1].startswith("2 read(s) from")

    assert main(["audit", "access", "--reader", "carla", "--json"]) == 0
    (only,) = capsys.readouterr().out.strip().splitlines()
    assert '"reader": "carla"' in only and '"kind": "history"' in only
