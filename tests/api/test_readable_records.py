"""Readable records: every recommendation has a human reference (NPM-2024-0123), shown in
the API's one and list answers and searchable (`q`, `reference=`); each history entry
carries one line for people, with display names (never a user id), places and
authorities by name, and the rule a workflow's decision followed; completed tasks, with
their outcome and note, are part of the recommendation's history."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from domain.task import TaskKind
from domain.user import user_id_for
from domain.values import Role
from services.application.bootstrap import issue_user_token
from services.application.commands.recommendations import (
    RecordEscalation,
    RecordReplyDeadlineMissed,
)
from services.application.commands.tasks import OpenTask
from services.application.executor import Caller, Executor
from tests.api.conftest import bearer

WORKFLOW = Caller("system:deadline-workflow", Role.SYSTEM.value)


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1{path}?wait=true", json=body, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return response.json()


def test_references_summaries_and_tasks_in_history(
    client: TestClient, executor: Executor, admin_token: str
) -> None:
    carla = issue_user_token(executor, "carla", "Carla Caseworker", Role.CASEWORKER, label="t")
    carla_id = str(user_id_for("carla"))
    authority = _post(
        client,
        admin_token,
        "/authorities",
        {
            "name": "Ministry of Justice",
            "kind": "ministry",
            "jurisdiction": "DE",
            "reply_period_days": 30,
            "urgent_reply_period_days": 5,
        },
    )["id"]
    place = _post(
        client,
        admin_token,
        "/places",
        {"name": "Prison Nord", "place_type": "prison", "authority_id": authority},
    )["id"]
    issued_on = date.today() - timedelta(days=60)
    body = {"kind": "visit", "authority_id": authority, "place_id": place}
    first = _post(
        client,
        carla,
        "/recommendations",
        {**body, "text": "Open the yard every day", "issued_on": issued_on.isoformat()},
    )["id"]
    second = _post(client, carla, "/recommendations", {**body, "text": "Repaint the cells"})["id"]
    year = issued_on.year

    one = _get(client, carla, f"/recommendations/{first}")
    assert one["reference"] == f"NPM-{year}-0001"
    second_ref = _get(client, carla, f"/recommendations/{second}")["reference"]
    number = "0002" if year == date.today().year else "0001"
    assert second_ref == f"NPM-{date.today().year}-{number}"

    # search: q matches a reference (any case, whole or its start), reference= filters
    found = _get(client, carla, "/recommendations", q=f"npm-{year}-0001")["items"]
    assert [r["recommendation_id"] for r in found] == [first]
    assert found[0]["reference"] == f"NPM-{year}-0001"
    only = _get(client, carla, "/recommendations", reference=second_ref)["items"]
    assert [r["recommendation_id"] for r in only] == [second]
    assert _get(client, carla, "/recommendations", reference="NPM-1999-")["items"] == []

    # the deadline workflow's decisions, and a task it opened
    due = date.fromisoformat(one["reply_due"])
    executor.execute(RecordReplyDeadlineMissed(due_on=due), WORKFLOW, target_id=first)
    executor.execute(
        RecordEscalation(
            level=2, action="letter", addressee="the minister", obligation_id="obligation-xyz"
        ),
        WORKFLOW,
        target_id=first,
    )
    task = executor.execute(
        OpenTask(
            opened_by="obligation-xyz/level-2",
            kind=TaskKind.SEND_ESCALATION_LETTER,
            title="Send the letter to the minister",
            role=Role.CASEWORKER,
            due_on=date.today() + timedelta(days=7),
            recommendation_ids=[first],
            workflow_id="obligation-xyz",
        ),
        WORKFLOW,
    ).aggregate_id
    _post(client, carla, f"/tasks/{task}/claim", {})
    _post(
        client,
        carla,
        f"/tasks/{task}/complete",
        {"outcome": "letter sent", "note": "signed by the head of the NPM"},
    )

    events = _get(client, carla, f"/recommendations/{first}/history")["events"]
    lines = [e["summary"] for e in events]
    assert all(lines), events
    assert not any(carla_id in line for line in lines)
    drafted = next(e["summary"] for e in events if e["event"] == "Drafted")
    assert drafted.startswith(f"Carla Caseworker drafted NPM-{year}-0001")
    assert "Ministry of Justice" in drafted and "Prison Nord" in drafted
    escalated = next(e["summary"] for e in events if e["event"] == "Escalated")
    rule = "ladder level 2: letter to the minister"
    assert escalated == f"Reply due {due.isoformat()} missed; {rule}."
    assert "obligation-xyz" not in " ".join(lines)
    completed = next(e for e in events if e["event"] == "Completed")
    assert completed["task_id"] == str(task)
    assert completed["summary"] == (
        "Carla Caseworker completed the task \u201cSend the letter to the minister\u201d: "
        "letter sent. Note: signed by the head of the NPM."
    )
