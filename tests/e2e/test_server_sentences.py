"""The sentences the server writes, read in a real browser in French and in Russian: a
recommendation's history (a person's and the deadline workflow's lines, a task the
workflow opened, its title), its open task, and an error the API refused a form with.
The events are the same for both readers; only the page's language differs.
Screenshots go to $RECTRACK_SCREENSHOTS (else the test's temporary folder)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.recommendation import Recommendation
from domain.task import TaskKind
from domain.values import Role
from services.application.bootstrap import issue_user_token
from services.application.commands.recommendations import (
    RecordEscalation,
    RecordReplyDeadlineMissed,
)
from services.application.commands.tasks import OpenTask
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.api.conftest import TEST_PASSWORD, set_password
from tests.builders import Commander, authority, issued_recommendation, views_caught_up
from tests.e2e.test_languages import shot
from tests.e2e.test_web_ui import browser, served, sign_in

pytestmark = pytest.mark.e2e

__all__ = ["browser", "served"]  # fixtures used by name below

WORKFLOW = Caller("system:deadline-workflow", Role.SYSTEM.value)


def _history_and_error(
    page: Any, served: str, rec: Any, lang: str, heading: str
) -> tuple[str, str]:
    """The page in `lang`: its history's text, and the error shown when the reply deadline
    is "extended" to a day before the current one."""
    page.locator("#language").select_option(lang)
    page.goto(f"{served}/ui/#/recommendations/{rec}")
    page.reload()  # the whole page in the language picked (kept for this browser)
    page.get_by_role("heading", name=heading).wait_for()
    page.locator("ol.timeline li").nth(3).wait_for()
    history = page.locator("ol.timeline").inner_text()
    form = page.locator("form[data-action=extend_reply_deadline]")
    form.locator("input[name=new_due]").fill("2020-01-01")
    form.locator("button[type=submit]").click()
    error = form.locator(".error")
    error.wait_for()
    error.scroll_into_view_if_needed()
    return history, error.inner_text()


def test_history_task_and_error_in_french_and_russian(
    served: str,
    browser: Any,
    app: Rectrack,
    executor: Executor,
    run: Commander,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    justice = authority(run, name="Ministère de la Justice")
    rec = issued_recommendation(
        run, justice, date.today() - timedelta(days=60), text="Ouvrir la cour tous les jours"
    )
    due = app.get(Recommendation, rec).reply_due
    assert due is not None
    executor.execute(RecordReplyDeadlineMissed(due_on=due), WORKFLOW, target_id=rec)
    executor.execute(
        RecordEscalation(level=1, action="letter", addressee="le ministre", obligation_id="o-1"),
        WORKFLOW,
        target_id=rec,
    )
    executor.execute(
        OpenTask(
            opened_by="obligation-x/level-1",
            kind=TaskKind.SEND_ESCALATION_LETTER,
            title=f"letter to le ministre (level 1): 1 recommendation(s) unanswered since {due}",
            role=Role.CASEWORKER,
            due_on=date.today() + timedelta(days=7),
            recommendation_ids=[rec],
            workflow_id="obligation-x",
        ),
        WORKFLOW,
    )
    views_caught_up(database_url, schema)
    issue_user_token(executor, "camille", "Camille Martin", Role.CASEWORKER, label="t")
    set_password(executor, "camille", TEST_PASSWORD)

    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(page, served, "camille")

    history, error = _history_and_error(page, served, rec, "fr", "Historique")
    assert "a rédigé NPM-" in history and "adressée à Ministère de la Justice" in history
    assert "(constaté par le suivi automatique des délais)" in history
    assert "non reçue ; niveau 1 de l'échelle : courrier à le ministre" in history
    assert "a ouvert la tâche « courrier à le ministre (niveau 1)" in history
    open_tasks = page.locator("main").inner_text()
    assert "courrier à le ministre (niveau 1) : 1 recommandation(s) sans réponse" in open_tasks
    assert error.startswith("Nouvelle échéance : doit être postérieure à l'échéance actuelle du")
    assert str(due.year) in error and due.isoformat() not in error  # written the French way
    shot(page, tmp_path, "history-error-fr.png")

    history, error = _history_and_error(page, served, rec, "ru", "История")
    assert "составил(а) NPM-" in history  # noqa: RUF001
    assert "(зафиксировано: автоматический контроль сроков)" in history
    assert "уровень 1: письмо — le ministre" in history
    assert error.startswith("Новый срок: должна быть позже текущего срока")
    shot(page, tmp_path, "history-error-ru.png")
    assert not [p for p in problems if "422" not in p], problems
    page.close()
