"""The sentences the server writes come in the caller's language: the history's lines,
a workflow's task title, the timeline's labels, who wrote a letter and the error
messages follow Accept-Language, and the language chosen in the profile wins over it.
The events hold no translation (the same events read in English again)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from domain.task import TaskKind
from domain.values import Role
from services.application.bootstrap import issue_user_token
from services.application.commands.recommendations import RecordReplyDeadlineMissed
from services.application.commands.tasks import OpenTask
from services.application.executor import Caller, Executor
from tests.api.conftest import bearer

WORKFLOW = Caller("system:deadline-workflow", Role.SYSTEM.value)
TITLE = "letter to minister (level 1): 1 recommendation(s) unanswered since {due}"


def _in(token: str, lang: str) -> dict[str, str]:
    return {**bearer(token), "Accept-Language": lang}


def _post(client: TestClient, token: str, path: str, body: dict[str, Any]) -> Any:
    response = client.post(f"/api/v1{path}?wait=true", json=body, headers=bearer(token))
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_history_tasks_and_errors_in_the_callers_language(
    client: TestClient, executor: Executor, admin_token: str
) -> None:
    carla = issue_user_token(executor, "carla", "Carla Caseworker", Role.CASEWORKER, label="t")
    authority = _post(
        client,
        admin_token,
        "/authorities",
        {
            "name": "Ministère",
            "kind": "ministry",
            "jurisdiction": "FR",
            "reply_period_days": 30,
            "urgent_reply_period_days": 5,
        },
    )["id"]
    issued_on = date.today() - timedelta(days=60)
    rec = _post(
        client,
        carla,
        "/recommendations",
        {
            "kind": "visit",
            "authority_id": authority,
            "text": "Ouvrir la cour",
            "issued_on": issued_on.isoformat(),
        },
    )["id"]
    due = date.fromisoformat(
        client.get(f"/api/v1/recommendations/{rec}", headers=bearer(carla)).json()["reply_due"]
    )
    executor.execute(RecordReplyDeadlineMissed(due_on=due), WORKFLOW, target_id=rec)
    executor.execute(
        OpenTask(
            opened_by="obligation-x/level-1",
            kind=TaskKind.SEND_ESCALATION_LETTER,
            title=TITLE.format(due=due.isoformat()),
            role=Role.CASEWORKER,
            due_on=date.today() + timedelta(days=7),
            recommendation_ids=[rec],
            workflow_id="obligation-x",
        ),
        WORKFLOW,
    )

    def lines(lang: str) -> list[str]:
        history = client.get(f"/api/v1/recommendations/{rec}/history", headers=_in(carla, lang))
        assert history.status_code == 200, history.text
        return [e["summary"] for e in history.json()["events"]]

    english = lines("en")
    assert english[0].startswith("Carla Caseworker drafted NPM-")
    french = lines("fr-CH, fr;q=0.9")
    assert french[0].startswith("Carla Caseworker a rédigé NPM-")
    assert "une recommandation de visite adressée à Ministère" in french[0]
    assert any(
        line.startswith("Réponse attendue le") and "(constaté par le suivi" in line
        for line in french
    )
    assert any("a ouvert la tâche « courrier à minister (niveau 1)" in line for line in french)

    tasks = client.get("/api/v1/tasks", params={"recommendation_id": rec}, headers=_in(carla, "es"))
    assert tasks.json()["items"][0]["title"].startswith("carta a minister (nivel 1)")
    timeline = client.get(f"/api/v1/recommendations/{rec}/timeline", headers=_in(carla, "ru"))
    assert timeline.json()["entries"][0]["label"] == "Составлена"

    bad = client.post("/api/v1/recommendations", json={"kind": "visit"}, headers=_in(carla, "fr"))
    assert bad.status_code == 422
    assert "Champ obligatoire" in bad.json()["message"]
    assert bad.json()["field"] in {"authority_id", "text"}  # the field keeps its name
    unknown = client.get("/api/v1/recommendations/not-an-id", headers=_in(carla, "ru"))
    assert "UUID" in unknown.json()["message"] and "должно быть" in unknown.json()["message"]

    # the profile's language, once chosen, wins over the browser's
    body = {"email": None, "language": "ru"}
    assert client.put("/api/v1/me/contact", json=body, headers=bearer(carla)).status_code == 200
    assert lines("fr")[0].startswith("Carla Caseworker составил(а)")  # noqa: RUF001
    assert lines("en")[0] == lines("fr")[0]


def test_a_refusal_names_the_field_by_its_label_in_the_callers_language(
    client: TestClient, admin_token: str
) -> None:
    def refused(lang: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/v1{path}", json=body, headers=_in(admin_token, lang))
        assert response.status_code == 422, response.text
        return dict(response.json())

    closure = {"jurisdiction": "FR", "day": "2026-03-02", "description": "Fermeture"}
    _post(client, admin_token, "/closure-days", closure)
    # a domain rule with a value (a day, written the French way), its field by its label
    again = refused("fr", "/closure-days", closure)
    assert again["message"] == ("Jour : le 2 mars 2026 est déjà enregistré comme jour de fermeture")
    assert again["field"] == "day"  # the field keeps the API's name
    assert refused("en", "/closure-days", closure)["message"] == (
        "day: 2026-03-02 is already recorded as a closure day"
    )
    # pydantic's own rule, with its limit
    drafted = {"kind": "visit", "text": "Ouvrir la cour", "authority_id": str(uuid4())}
    long_session = {**drafted, "session": "s" * 101}
    too_long = refused("fr", "/recommendations", long_session)
    assert too_long["message"] == "Session : doit compter au plus 100 caractères"
    assert too_long["field"] == "session"
    # a command validator's rule from the domain, with its values (RuleBroken)
    bad_goal = {**drafted, "sdgs": ["16", "18"]}
    goal = refused("es", "/recommendations", bad_goal)
    assert goal["message"] == (
        "Objetivos de Desarrollo Sostenible: '18': hay 17 objetivos, numerados del 1 al 17"
    )
    assert goal["field"] == "sdgs.1"
    english = refused("en", "/recommendations", bad_goal)
    assert english["message"] == "sdgs.1: Value error, '18': there are 17 goals, numbered 1 to 17"
