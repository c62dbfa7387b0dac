"""The list's `open` filter, which the authority and place pages show as what is still
open before the next visit: recomputed from the recommendations' own events, per
authority and per place, oldest first, and the rest with `open=false`."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from domain.recommendation import Recommendation
from domain.recommendation_rules import OPEN
from domain.values import ImplementationStatus
from services.application.runtime import Runtime
from services.application.store import Rectrack
from tests.api.conftest import bearer
from tests.api.test_annual_report import _caught_up
from tests.builders import Commander
from tests.projections.test_statistics import statistics_store


def _open(rec: Recommendation) -> bool:
    return rec.status in OPEN and rec.implementation != ImplementationStatus.IMPLEMENTED


def test_open_lists_what_the_events_leave_open_oldest_first(
    app: Rectrack, run: Commander, runtime: Runtime, client: TestClient, admin_token: str
) -> None:
    built = statistics_store(app, run)
    _caught_up(runtime)
    recs = [app.get(Recommendation, rec_id) for rec_id in built["ids"]]
    ministry = str(built["ministry"])
    prison = next(p for p, kind in built["place_types"].items() if kind == "prison")

    def listed(**filters: Any) -> dict[str, Any]:
        got = client.get(
            "/api/v1/recommendations",
            params={**filters, "limit": 500},
            headers=bearer(admin_token),
        )
        assert got.status_code == 200, got.text
        return got.json()

    for filters, keep in (
        ({"authority_id": ministry}, lambda r: r.authority_id == ministry),
        ({"place_id": prison}, lambda r: str(r.place_id) == prison),
    ):
        expected = {str(r.id) for r in recs if keep(r) and _open(r)}
        rest = {str(r.id) for r in recs if keep(r) and not _open(r)}
        assert expected and rest, filters  # the scenario has both
        page = listed(**filters, open="true")
        assert page["total"] == len(expected), filters
        assert {item["recommendation_id"] for item in page["items"]} == expected, filters
        made = [item["made_on"] for item in page["items"]]
        assert made == sorted(made), "oldest first"
        others = listed(**filters, open="false")
        assert {item["recommendation_id"] for item in others["items"]} == rest, filters
    refused = client.get("/api/v1/recommendations?open=maybe", headers=bearer(admin_token))
    assert refused.status_code == 422 and "open" in refused.text
