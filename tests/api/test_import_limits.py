"""The import and the API validate with the same command models, so a record one refuses
the other refuses too, for the same rule: a 600-character theme, 60 themes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.application.runtime import Runtime
from services.cli import main
from tests.api.conftest import bearer


def test_a_theme_too_long_or_too_many_themes_are_refused_by_both(
    client: TestClient,
    admin_token: str,
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    authority = client.post(
        "/api/v1/authorities?wait=true",
        json={
            "name": "Ministry of Justice",
            "kind": "ministry",
            "jurisdiction": "DE",
            "reply_period_days": 30,
            "urgent_reply_period_days": 5,
        },
        headers=bearer(admin_token),
    ).json()["id"]
    long_theme = "t" * 600
    many_themes = [f"theme {n}" for n in range(60)]

    def api_rule(themes: list[str]) -> str:
        body: dict[str, Any] = {
            "kind": "visit",
            "text": "Open the yard daily",
            "authority_id": authority,
            "tags": {"themes": themes},
        }
        response = client.post("/api/v1/recommendations", json=body, headers=bearer(admin_token))
        assert response.status_code == 422, response.text
        return response.text

    assert "String should have at most 500 characters" in api_rule([long_theme])
    assert "List should have at most 50 items" in api_rule(many_themes)

    monkeypatch.setenv("RECTRACK_DATABASE_URL", runtime.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", runtime.settings.database_schema)
    monkeypatch.setenv("RECTRACK_DATA_DIR", str(runtime.settings.data_dir))
    path = tmp_path / "limits.csv"
    path.write_text(
        "text,authority,themes\n"
        f"Open the yard daily,Ministry of Justice,{long_theme}\n"
        f'Open the library daily,Ministry of Justice,"{";".join(many_themes)}"\n',
        encoding="utf-8",
    )
    before = runtime.app.recorder.max_notification_id()
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "row 2, column themes: String should have at most 500 characters" in err
    assert "row 3, column themes: List should have at most 50 items" in err
    assert runtime.app.recorder.max_notification_id() == before
