"""The public register and a French web UI in a real browser (headless Chromium via
Playwright, the real API on a socket, the real projector and PostgreSQL).

The register is read without signing in, in the browser's language (French here), with
dates written the French way; a filter narrows it; the picker switches it to Russian,
whose plural forms differ; an unpublished recommendation never shows. A caseworker whose
browser speaks French gets the navigation and the inbox in French; a compliance officer
who picks French reads a recommendation's page and the statistics in French. Screenshots go to
$RECTRACK_SCREENSHOTS (else the test's temporary folder)."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from domain.task import TaskKind
from domain.values import PlaceType, Position, Role
from services.application.bootstrap import issue_user_token
from services.application.commands import recommendations as rec
from services.application.commands import registry
from services.application.commands.tasks import OpenTask
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.api.conftest import SETUP, TEST_PASSWORD, make_user, set_password
from tests.builders import Commander, authority, issued_recommendation, reply, views_caught_up
from tests.e2e.test_web_ui import browser, served, sign_in, until_true

pytestmark = pytest.mark.e2e

__all__ = ["browser", "served"]  # fixtures used by name below

ISSUED = date(2026, 3, 9)


def shot(page: Any, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("RECTRACK_SCREENSHOTS", tmp_path))
    page.screenshot(path=str(folder / name), full_page=True)


def test_the_public_register_in_french_then_russian(
    served: str, browser: Any, run: Commander, tmp_path: Path
) -> None:
    justice = authority(run, name="Ministère de la Justice", on=ISSUED)
    prison = run(
        registry.RegisterPlace(
            name="Prison de la Santé", place_type=PlaceType.PRISON, authority_id=justice
        ),
        on=ISSUED,
    ).aggregate_id
    police = run(
        registry.RegisterPlace(
            name="Commissariat central", place_type=PlaceType.POLICE_CUSTODY, authority_id=justice
        ),
        on=ISSUED,
    ).aggregate_id

    def published(text: str, place: Any) -> Any:
        draft = rec.DraftRecommendation(
            kind="visit", text=text, authority_id=justice, place_id=place, issued_on=ISSUED
        )
        made = run(draft, on=ISSUED).aggregate_id
        run(rec.PublishRecommendation(), made, on=ISSUED)
        return made

    yard = published("Ouvrir la cour tous les jours", prison)
    reply(
        run,
        yard,
        ISSUED + timedelta(days=20),
        position=Position.ACCEPTED,
        text="La cour sera ouverte dès avril",
    )
    published("Tenir un registre des gardes à vue", police)
    issued_recommendation(run, justice, ISSUED, text="Jamais publiée")

    page = browser.new_page(locale="fr-FR", viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{served}/register")
    page.get_by_role("heading", name="Registre public des recommandations").wait_for()
    page.get_by_text("2 recommandations publiées").wait_for()
    body = page.locator("main").inner_text()
    assert "La cour sera ouverte dès avril" in body
    assert "Réponse du 29 mars 2026 : acceptée" in body
    assert "émise le 9 mars 2026" in body
    assert "Jamais publiée" not in body
    shot(page, tmp_path, "register-fr.png")

    page.locator("select[name=place_type]").select_option(label="garde à vue")
    page.get_by_role("button", name="Filtrer").click()
    page.get_by_text("1 recommandation publiée").wait_for()
    assert "Ouvrir la cour" not in page.locator("main").inner_text()
    assert "place_type=police_custody" in page.url

    page.locator("#language").select_option(label="Русский")
    page.get_by_role("heading", name="Публичный реестр рекомендаций").wait_for()
    page.get_by_text("1 опубликованная рекомендация").wait_for()
    page.goto(f"{served}/register")
    page.get_by_text("2 опубликованные рекомендации").wait_for()
    assert "9 мар. 2026" in page.locator("main").inner_text()
    shot(page, tmp_path, "register-ru.png")
    assert not problems, problems
    page.close()


def test_a_french_caseworker_gets_the_inbox_in_french(
    served: str, browser: Any, app: Rectrack, executor: Executor, run: Commander, tmp_path: Path
) -> None:
    today = date.today()
    rec_id = issued_recommendation(
        run, authority(run), today - timedelta(days=60), text="Installer des sonnettes d'appel"
    )
    run(
        OpenTask(
            opened_by="obligation-x:reminder",
            kind=TaskKind.SEND_REMINDER,
            title="send the reminder letter",
            role=Role.CASEWORKER,
            due_on=today - timedelta(days=2),
            recommendation_ids=[rec_id],
            workflow_id="obligation-x",
        ),
        caller=SETUP,
        on=today,
    )
    issue_user_token(executor, "camille", "Camille Martin", Role.CASEWORKER, label="t")
    set_password(executor, "camille", TEST_PASSWORD)
    page = browser.new_page(locale="fr-FR", viewport={"width": 1200, "height": 800})
    page.goto(f"{served}/ui/")
    # The sign-in form in the browser's language.
    page.get_by_role("heading", name="Se connecter").wait_for()
    page.get_by_label("Nom d'utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("heading", name="Tâches").wait_for()
    page.get_by_role("link", name="Toutes les ouvertes").click()
    page.get_by_text("1 tâche ·").wait_for()
    nav = page.locator("nav").inner_text()
    assert "Recommandations" in nav and "En retard" in nav and "Rédiger" in nav
    row = page.locator("tbody tr").first
    assert "en retard" in row.inner_text()
    assert "Prendre" in row.inner_text()
    assert page.locator("html").get_attribute("lang") == "fr"
    shot(page, tmp_path, "inbox-fr.png")
    page.close()


def test_a_recommendation_and_the_statistics_in_french(
    served: str,
    browser: Any,
    executor: Executor,
    run: Commander,
    database_url: str,
    schema: str,
    tmp_path: Path,
) -> None:
    justice = authority(run, name="Ministère de la Justice", on=ISSUED)
    prison = run(
        registry.RegisterPlace(
            name="Prison de la Santé", place_type=PlaceType.PRISON, authority_id=justice
        ),
        on=ISSUED,
    ).aggregate_id
    draft = rec.DraftRecommendation(
        kind="visit",
        text="Ouvrir la cour tous les jours",
        authority_id=justice,
        place_id=prison,
        issued_on=ISSUED,
    )
    made = run(draft, on=ISSUED).aggregate_id
    reply(
        run,
        made,
        ISSUED + timedelta(days=20),
        position=Position.PARTIALLY_ACCEPTED,
        text="La cour sera ouverte le matin.",
    )
    views_caught_up(database_url, schema)
    officer = make_user(executor, "hedda", Role.COMPLIANCE)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in(page, served, officer)
    page.locator("#language").select_option("fr")
    page.get_by_role("link", name="Statistiques").wait_for()
    page.get_by_role("button", name="Se déconnecter").wait_for()

    page.goto(f"{served}/ui/#/recommendations/{made}")
    page.get_by_role("heading", name="Historique").wait_for()
    facts = page.locator(".facts").inner_text()
    assert "Statut" in facts and "Réponse attendue le" in facts and "Lieu" in facts
    assert "partiellement acceptée" in facts
    assert "Prison de la Santé (prison)" in facts
    responses = page.locator("main").inner_text()
    assert "reçue le 29 mars 2026" in responses
    assert "← toutes les recommandations" in responses
    shot(page, tmp_path, "detail-fr.png")

    page.goto(f"{served}/ui/#/stats?year_from=2026&year_to=2026")
    page.get_by_role("heading", name="Respect des délais de réponse").wait_for()
    summary = page.locator("#summary").inner_text()
    assert summary.startswith("1 recommandation a été émise en 2026.")
    assert "Taux d'acceptation" in summary
    main = page.locator("main").inner_text()
    assert "Par autorité" in main and "Ministère de la Justice" in main
    until_true(
        page, "() => Boolean(window.Chart && Chart.getChart(document.querySelector('canvas')))"
    )
    shot(page, tmp_path, "stats-fr.png")
    assert not problems, problems
    page.close()
