"""The API's write contracts that other tools rely on, over HTTP: Idempotency-Key is the
command id (a retry appends nothing and returns the first result), If-Match refuses a
stale write with 409, an illegal transition is a 409 naming the status and what is
allowed, `?as_of=` shows a past state; and the task endpoints: claim, my inbox, reassign
to a named colleague (who can then complete it), refused reassignments."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from domain.task import Task, TaskKind
from domain.values import Role
from services.application.commands.tasks import OpenTask
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import SETUP, bearer, make_user
from tests.builders import Commander, authority, issued_recommendation


def test_idempotency_key_if_match_and_illegal_transitions(
    client: TestClient, app: Rectrack, executor: Executor, run: Commander
) -> None:
    token = make_user(executor, "carla", Role.CASEWORKER)
    dan = make_user(executor, "dan", Role.ADMIN)
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=5))
    url = f"/api/v1/recommendations/{rec}/follow-ups"
    body = {"kind": "letter", "summary": "Asked for the action plan"}
    keyed = {**bearer(token), "Idempotency-Key": "follow-up-1"}

    def appended() -> int:
        # Counted, not read off the last id: a refused insert still uses up a sequence value.
        return len(app.recorder.select_notifications(before + 1, 1000))

    before = app.recorder.max_notification_id() or 0
    first = client.post(url, json=body, headers=keyed)
    again = client.post(url, json=body, headers=keyed)
    assert first.status_code == again.status_code == 200, again.text
    assert first.json()["replayed"] is False
    assert again.json()["replayed"] is True
    assert again.json()["version"] == first.json()["version"]
    assert appended() == 1
    # The same key from another user is another command.
    other = client.post(url, json=body, headers={**bearer(dan), "Idempotency-Key": "follow-up-1"})
    assert other.json()["replayed"] is False
    assert appended() == 2

    read = client.get(f"/api/v1/recommendations/{rec}", headers=bearer(token))
    version = read.json()["version"]
    assert read.headers["ETag"] == f'"{version}"'
    stale = client.post(url, json=body, headers={**bearer(token), "If-Match": f'"{version - 1}"'})
    assert stale.status_code == 409
    assert stale.json()["code"] == "conflict"
    assert stale.json()["field"] == "If-Match"
    assert appended() == 2
    fresh = client.post(url, json=body, headers={**bearer(token), "If-Match": f'"{version}"'})
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == f'"{version + 1}"'

    illegal = client.post(
        f"/api/v1/recommendations/{rec}/issue",
        json={"issued_on": date.today().isoformat()},
        headers=bearer(token),
    )
    assert illegal.status_code == 409
    assert illegal.json()["code"] == "illegal_transition"
    assert illegal.json()["rule"] == "issue"
    assert "is issued: cannot issue" in illegal.json()["message"]
    assert "allowed from issued:" in illegal.json()["message"]

    yesterday = (date.today() - timedelta(days=1)).isoformat()
    past = client.get(
        f"/api/v1/recommendations/{rec}?as_of={yesterday}&basis=recorded", headers=bearer(token)
    )
    assert past.status_code == 404  # recorded today: on yesterday's books it did not exist
    now = client.get(
        f"/api/v1/recommendations/{rec}?as_of={date.today().isoformat()}", headers=bearer(token)
    )
    assert now.status_code == 200
    assert now.json()["as_of"] == date.today().isoformat()
    assert len(now.json()["follow_ups"]) == 3


def test_tasks_claim_inbox_reassign_and_complete(
    client: TestClient, app: Rectrack, executor: Executor, run: Commander
) -> None:
    rec = issued_recommendation(run, authority(run), date.today() - timedelta(days=40))
    opened = OpenTask(
        opened_by="obligation-x:escalation-1",
        kind=TaskKind.SEND_ESCALATION_LETTER,
        title="Send escalation letter",
        role=Role.CASEWORKER,
        due_on=date.today() + timedelta(days=3),
        recommendation_ids=[rec],
        workflow_id="obligation-x",
    )
    task = run(opened, caller=SETUP, on=date.today()).aggregate_id
    carla = bearer(make_user(executor, "carla", Role.CASEWORKER))
    bob = bearer(make_user(executor, "bob", Role.CASEWORKER))
    head = bearer(make_user(executor, "hedda", Role.COMPLIANCE))
    make_user(executor, "aude", Role.AUDITOR)

    def mine(headers: dict[str, str]) -> list[str]:
        response = client.get("/api/v1/tasks?state=open&mine=true", headers=headers)
        assert response.status_code == 200, response.text
        return [item["task_id"] for item in response.json()["items"]]

    def about(recommendation_id: object) -> list[str]:
        url = f"/api/v1/tasks?state=open&recommendation_id={recommendation_id}"
        return [item["task_id"] for item in client.get(url, headers=carla).json()["items"]]

    claimed = client.post(f"/api/v1/tasks/{task}/claim?wait=true", json={}, headers=carla)
    assert about(rec) == [str(task)]
    assert about(uuid4()) == []
    assert claimed.status_code == 200, claimed.text
    assert mine(carla) == [str(task)]
    assert mine(bob) == []
    taken = client.post(f"/api/v1/tasks/{task}/claim", json={}, headers=bob)
    assert taken.status_code == 409

    before = app.recorder.max_notification_id()
    for assignee, why in (("nobody", "no active user is named 'nobody'"), ("aude", "may not")):
        refused = client.post(
            f"/api/v1/tasks/{task}/reassign", json={"assignee": assignee}, headers=head
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["field"] == "assignee"
        assert why in refused.json()["message"]
    assert app.recorder.max_notification_id() == before

    moved = client.post(
        f"/api/v1/tasks/{task}/reassign?wait=true",
        json={"assignee": "bob", "reason": "Carla is on leave"},
        headers=head,
    )
    assert moved.status_code == 200, moved.text
    assert mine(bob) == [str(task)]
    assert mine(carla) == []
    assert (
        client.post(
            f"/api/v1/tasks/{task}/complete", json={"outcome": "x"}, headers=carla
        ).status_code
        == 409
    )
    done = client.post(
        f"/api/v1/tasks/{task}/complete", json={"outcome": "letter sent"}, headers=bob
    )
    assert done.status_code == 200, done.text
    bob_id = client.get("/api/v1/me", headers=bob).json()["id"]
    assert app.get(Task, UUID(str(task))).assignee == bob_id
