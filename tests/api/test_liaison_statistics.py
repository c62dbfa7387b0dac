"""Statistics for an authority's liaison, route by route (as tests/api/test_roles.py walks
the matrix): every /stats route answers it, over its own authority's issued
recommendations only, with only the figures domain/publication.py lets out; another
authority's figures, or a tag's, are those of nothing; its annual report pack holds its
authority's published tables only."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from domain.values import FollowUpKind, Role
from projections.engine.catchup import wait_until_caught_up
from services.application.commands.recommendations import RecordFollowUp
from services.application.executor import Executor
from services.application.runtime import Runtime
from tests.api.conftest import bearer, make_user
from tests.builders import Commander
from tests.export_world import SECRET_THEME, World, build_world

# Written by hand, like the role matrix: figures a liaison must never get.
INTERNAL_FIGURES = {
    "repeated",
    *(
        f"not_implemented_{r}"
        for r in ("budget", "not_understood", "resistance", "legal_obstacle", "other")
    ),
}


@pytest.fixture
def world(run: Commander, runtime: Runtime) -> World:
    built = build_world(run)
    run(
        RecordFollowUp(
            kind=FollowUpKind.MEETING, summary="Met the director", happened_on=date(2024, 5, 1)
        ),
        built.answered,
        on=date(2024, 5, 1),
    )
    last = runtime.app.recorder.max_notification_id()
    assert last is not None
    wait_until_caught_up(runtime.database_url, runtime.settings.database_schema, last, timeout=30)
    return built


def _get(client: TestClient, token: str, path: str) -> Any:
    response = client.get(f"/api/v1/stats{path}", headers=bearer(token))
    assert response.status_code == 200, (path, response.text)
    return response.json()


def test_a_liaisons_statistics_are_its_authoritys_published_figures(
    client: TestClient, executor: Executor, admin_token: str, world: World
) -> None:
    liaison = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=world.justice)

    # /stats/figures: the Ministry of Justice's three issued recommendations (not its
    # draft, not the other ministry's), the same numbers staff get for that ministry.
    mine = _get(client, liaison, "/figures")
    staff = _get(client, admin_token, f"/figures?authority_id={world.justice}")
    assert mine["totals"]["issued"] == 3
    assert staff["totals"]["issued"] == 3
    assert mine["totals"] == {k: v for k, v in staff["totals"].items() if k not in INTERNAL_FIGURES}
    assert not INTERNAL_FIGURES & set(mine["totals"])
    assert not INTERNAL_FIGURES & {d["key"] for d in mine["definitions"]}
    assert staff["totals"]["not_implemented_budget"] == 0  # staff get them all
    assert "follow_ups" not in mine and "escalations" not in mine
    assert staff["follow_ups"] == {"meeting": 1}
    assert mine["totals"]["partially_accepted"] == 1
    assert mine["totals"]["acceptance_rate"] == staff["totals"]["acceptance_rate"] == 100.0

    by_authority = _get(client, liaison, "/figures?by=authority")
    assert [g["name"] for g in by_authority["groups"]] == ["Ministry of Justice"]
    by_year = _get(client, liaison, "/figures?by=year")
    assert sorted((g["group"], g["issued"]) for g in by_year["groups"]) == [
        ("2023", 1),
        ("2024", 1),
        ("2025", 1),
    ]
    # Another authority's, a theme's, or per theme: the figures of nothing.
    for query in (f"?authority_id={world.health}", "?theme=training", "?by=theme"):
        nothing = _get(client, liaison, f"/figures{query}")
        assert nothing["totals"]["issued"] == 0, query
        assert nothing["groups"] == [], query
    assert (
        _get(client, admin_token, f"/figures?authority_id={world.health}")["totals"]["issued"] == 1
    )

    # /stats/authorities: its own scorecard rows only.
    scorecard = _get(client, liaison, "/authorities")["items"]
    assert {row["authority_name"] for row in scorecard} == {"Ministry of Justice"}
    assert sum(row["issued"] for row in scorecard) == 3
    everyone = _get(client, admin_token, "/authorities")["items"]
    assert {row["authority_name"] for row in everyone} == {
        "Ministry of Justice",
        "Ministère de la Santé",
    }

    # /stats/themes: tags are internal.
    themes = _get(client, liaison, "/themes")
    assert themes["counts"] == [] and themes["repeat_chains"] == []
    assert _get(client, admin_token, "/themes")["counts"]

    # /stats/status-as-of: its authority's issued recommendations, never a draft.
    as_of = _get(client, liaison, f"/status-as-of?date={date.today().isoformat()}")["counts"]
    assert as_of == {"assessed": 1, "issued": 1, "responded": 1}
    staff_as_of = _get(client, admin_token, f"/status-as-of?date={date.today().isoformat()}")
    assert staff_as_of["counts"] == {"assessed": 1, "draft": 1, "issued": 2, "responded": 1}

    # The annual report pack: its authority's, with the published tables only.
    response = client.get("/api/v1/stats/annual-report?year=2024", headers=bearer(liaison))
    assert response.status_code == 200, response.text
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Summary",
        "By authority",
        "By place type",
        "By kind",
        "By recommending body",
        "Implementation by year",
    ]
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Issued"] == 1  # the Ministry of Justice's one issued in 2024
    assert "Repeating an earlier recommendation" not in summary
    cells = [row[0] for row in book["By authority"].iter_rows(values_only=True)]
    assert cells[cells.index("Authority") + 1 :] == ["Ministry of Justice"]  # below the header
    staff_pack = client.get("/api/v1/stats/annual-report?year=2024", headers=bearer(admin_token))
    staff_book = load_workbook(io.BytesIO(staff_pack.content))
    assert {"By theme", "Not implemented, why", "Follow-up actions", "Escalations"} <= set(
        staff_book.sheetnames
    )
    html = client.get(
        "/api/v1/stats/annual-report?year=2024&format=html", headers=bearer(liaison)
    ).text
    assert "Ministère de la Santé" not in html and SECRET_THEME not in html
