"""`rectrack audit history ID [--json]`: the audit timeline, read from the recommendation's
own events (no projector has run: it is never behind the log), each event with who (and
role), when recorded, which business date, what changed and why."""

from __future__ import annotations

import json
from datetime import date
from uuid import uuid4

import pytest

from domain.values import Position
from services.application.executor import Caller
from services.cli import main
from tests.builders import Commander, authority, issued_recommendation, reply


def test_history_in_words_and_as_json(
    run: Commander,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = issued_recommendation(run, authority(run), date(2026, 1, 5))
    last = reply(
        run,
        rec,
        date(2026, 1, 20),
        position=Position.REJECTED,
        text="No budget",
        reason="letter of 18 January",
        caller=Caller("carla", "caseworker"),
    )
    assert last.notification_id is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)

    assert main(["audit", "history", str(rec)]) == 0
    lines = capsys.readouterr().out.splitlines()
    entries = [line for line in lines if line.startswith("v")]
    assert len(entries) == 3
    assert entries[2].startswith("v3 ")
    assert "by carla (caseworker)" in entries[2]
    assert "business date 2026-01-20" in entries[2]
    assert "why: letter of 18 January" in entries[2]
    assert "    status: 'issued' -> 'responded'" in lines

    assert main(["audit", "history", str(rec), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["recommendation_id"] == str(rec)
    assert [e["event"] for e in document["events"]] == ["Drafted", "Issued", "ResponseReceived"]
    assert {"field": "position", "before": None, "after": "rejected"} in document["events"][2][
        "changes"
    ]

    assert main(["audit", "history", str(uuid4())]) == 1
    assert "has no events" in capsys.readouterr().err
