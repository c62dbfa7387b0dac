"""State as of a past date, derived from the events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import NotFound
from domain.values import Position
from projections.engine.as_of import recommendation_as_of, status_counts_as_of
from services.application.store import Rectrack
from services.cli import main
from tests.builders import Commander, authority, issued_recommendation, reply


def test_recommendation_by_business_date(app: Rectrack, run: Commander) -> None:
    rec = issued_recommendation(run, authority(run), issued_on=date(2026, 1, 5))
    reply(run, rec, date(2026, 2, 10), text="Yes")
    january = recommendation_as_of(app, rec, date(2026, 1, 31), basis="business")
    assert january["status"] == "issued" and january["position"] is None
    assert january["version"] == 2
    february = recommendation_as_of(app, rec, date(2026, 2, 28), basis="business")
    assert february["status"] == "responded" and february["position"] == "accepted"
    with pytest.raises(NotFound):
        recommendation_as_of(app, rec, date(2025, 12, 31), basis="business")


def test_recorded_basis_and_status_counts(app: Rectrack, run: Commander) -> None:
    ministry = authority(run)
    first = issued_recommendation(run, ministry)
    issued_recommendation(run, ministry)
    reply(run, first, date(2026, 1, 20), position=Position.NOTED, text="Noted")
    today = date.today()
    assert recommendation_as_of(app, first, today, basis="recorded")["status"] == "responded"
    with pytest.raises(NotFound):  # nothing had been recorded by the end of yesterday
        recommendation_as_of(app, first, today - timedelta(days=1), basis="recorded")
    assert status_counts_as_of(app, today, basis="recorded") == {"issued": 1, "responded": 1}
    assert status_counts_as_of(app, today - timedelta(days=1), basis="recorded") == {}
    assert status_counts_as_of(app, date(2026, 1, 10), basis="business") == {"issued": 2}


def test_as_of_command(
    run: Commander,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = issued_recommendation(run, authority(run))
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["audit", "as-of", date.today().isoformat()]) == 0
    assert "issued" in capsys.readouterr().out
    assert main(["audit", "as-of", date.today().isoformat(), str(rec)]) == 0
    assert '"status": "issued"' in capsys.readouterr().out
    # By default on the business date, as in the API: issued on 2026-01-05 (recorded today).
    assert main(["audit", "as-of", "2026-01-06", str(rec)]) == 0
    assert '"status": "issued"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["audit", "as-of", "31/01/2026"])
    assert "DATE must be YYYY-MM-DD" in capsys.readouterr().err
