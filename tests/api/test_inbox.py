"""The inbox through the API: each task with its recommendation's reference and words,
the filters with their counts, sorting by due date, and the people a task can go to."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from fastapi.testclient import TestClient

from domain.task import TaskKind
from domain.values import Role
from projections.engine.catchup import wait_until_caught_up
from services.application.commands.tasks import OpenTask
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack
from tests.api.conftest import SETUP, bearer, make_user
from tests.builders import Commander, authority, issued_recommendation

TODAY = date.today()


def open_task(run: Commander, step: str, kind: TaskKind, due_in: int, rec: UUID) -> str:
    command = OpenTask(
        opened_by=f"obligation-x:{step}",
        kind=kind,
        title=f"Task {step}",
        role=Role.CASEWORKER,
        due_on=TODAY + timedelta(days=due_in),
        recommendation_ids=[rec],
        workflow_id="obligation-x",
    )
    return str(run(command, caller=SETUP, on=TODAY).aggregate_id)


def test_inbox_filters_counts_sort_and_workers(
    client: TestClient, app: Rectrack, executor: Executor, run: Commander, runtime: Runtime
) -> None:
    justice = authority(run, name="Ministry of Justice")
    health = authority(run, name="Ministry of Health")
    day = TODAY - timedelta(days=60)
    at_justice = issued_recommendation(run, justice, day, text="Install call bells in all cells")
    at_health = issued_recommendation(run, health, day, text="Record every use of restraint")
    late = open_task(run, "a", TaskKind.SEND_ESCALATION_LETTER, -3, at_justice)
    soon = open_task(run, "b", TaskKind.SEND_ESCALATION_LETTER, 5, at_health)
    later = open_task(run, "c", TaskKind.VERIFY_IMPLEMENTATION, 20, at_justice)
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    make_user(executor, "aude", Role.AUDITOR)
    hedda = bearer(make_user(executor, "hedda", Role.COMPLIANCE))
    wait_until_caught_up(
        runtime.database_url,
        runtime.settings.database_schema,
        app.recorder.max_notification_id() or 0,
        timeout=20,
    )

    def page(query: str, headers: dict[str, str] = carla) -> dict[str, Any]:
        response = client.get(f"/api/v1/tasks?state=open&{query}", headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    everything = page("sort=due")
    assert [t["task_id"] for t in everything["items"]] == [late, soon, later]
    first = everything["items"][0]
    assert first["recommendation_text"] == "Install call bells in all cells"
    assert first["authority"] == "Ministry of Justice"
    assert first["overdue"] is True
    assert "reference" in first

    by_authority = page(f"authority_id={health}")
    assert [t["task_id"] for t in by_authority["items"]] == [soon]
    # Counts per value of each filter, the other filters applied.
    authorities = {c["label"]: c["count"] for c in by_authority["counts"]["authority_id"]}
    assert authorities == {"Ministry of Justice": 2, "Ministry of Health": 1}
    kinds = {c["value"]: c["count"] for c in by_authority["counts"]["kind"]}
    assert kinds == {"send_escalation_letter": 1}

    assert [t["task_id"] for t in page("overdue=true")["items"]] == [late]
    assert [t["task_id"] for t in page("kind=verify_implementation")["items"]] == [later]
    due_before = (TODAY + timedelta(days=10)).isoformat()
    assert [t["task_id"] for t in page(f"due_before={due_before}&sort=due")["items"]] == [
        late,
        soon,
    ]
    overdue = {c["value"]: c["count"] for c in everything["counts"]["overdue"]}
    assert overdue == {True: 1, False: 2}

    bad = client.get("/api/v1/tasks?due_before=someday", headers=carla)
    assert bad.status_code == 422

    workers = client.get("/api/v1/tasks/workers", headers=hedda)
    assert workers.status_code == 200, workers.text
    names = [w["display_name"] for w in workers.json()]
    assert "carla" in names and "hedda" in names and "aude" not in names

    moved = client.post(
        f"/api/v1/tasks/{soon}/reassign?wait=true", json={"assignee": "carla"}, headers=hedda
    )
    assert moved.status_code == 200, moved.text
    carla_id = client.get("/api/v1/me", headers=carla).json()["id"]
    held = page(f"assignee={carla_id}")
    assert [t["task_id"] for t in held["items"]] == [soon]
    assert {c["value"]: c["count"] for c in held["counts"]["assignee"]} == {
        carla_id: 1,
        None: 2,
    }
