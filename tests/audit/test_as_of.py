"""State as of a past date, derived from the events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.errors import NotFound
from domain.values import Position
from projections.as_of import recommendation_as_of, status_counts_as_of
from services.application.store import Rectrack
from services.cli import main
from tests.conftest import MetaFactory
from tests.integration.helpers import authority, issued_recommendation


def test_recommendation_by_business_date(app: Rectrack, meta: MetaFactory) -> None:
    rec = issued_recommendation(app, meta, authority(app, meta), issued_on=date(2026, 1, 5))
    app.record_response(
        meta(date(2026, 2, 10)),
        rec,
        received_on=date(2026, 2, 10),
        position=Position.ACCEPTED,
        text="Yes",
    )
    january = recommendation_as_of(app, rec, date(2026, 1, 31), basis="business")
    assert january["status"] == "issued" and january["position"] is None
    assert january["version"] == 2
    february = recommendation_as_of(app, rec, date(2026, 2, 28), basis="business")
    assert february["status"] == "responded" and february["position"] == "accepted"
    with pytest.raises(NotFound):
        recommendation_as_of(app, rec, date(2025, 12, 31), basis="business")


def test_recorded_basis_and_status_counts(app: Rectrack, meta: MetaFactory) -> None:
    ministry = authority(app, meta)
    first = issued_recommendation(app, meta, ministry)
    issued_recommendation(app, meta, ministry)
    app.record_response(
        meta(date(2026, 1, 20)),
        first,
        received_on=date(2026, 1, 20),
        position=Position.NOTED,
        text="Noted",
    )
    today = date.today()
    assert recommendation_as_of(app, first, today)["status"] == "responded"
    with pytest.raises(NotFound):  # nothing had been recorded by the end of yesterday
        recommendation_as_of(app, first, today - timedelta(days=1))
    assert status_counts_as_of(app, today) == {"issued": 1, "responded": 1}
    assert status_counts_as_of(app, today - timedelta(days=1)) == {}
    assert status_counts_as_of(app, date(2026, 1, 10), basis="business") == {"issued": 2}


def test_as_of_command(
    app: Rectrack,
    meta: MetaFactory,
    database_url: str,
    schema: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rec = issued_recommendation(app, meta, authority(app, meta))
    monkeypatch.setenv("RECTRACK_DATABASE_URL", database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", schema)
    assert main(["audit", "as-of", date.today().isoformat()]) == 0
    assert "issued" in capsys.readouterr().out
    assert main(["audit", "as-of", date.today().isoformat(), str(rec)]) == 0
    assert '"status": "issued"' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["audit", "as-of", "31/01/2026"])
    assert "DATE must be YYYY-MM-DD" in capsys.readouterr().err
