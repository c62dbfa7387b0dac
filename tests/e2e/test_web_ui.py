"""The web UI in a real browser (headless Chromium driven by Playwright) against the real
API served by uvicorn on a real socket, the real projector and real PostgreSQL.

A caseworker signs in through the form, claims and completes a task from the inbox, records
an authority's reply through the form, sees a refused action explained with its field and
rule (and nothing appended), and reads the history; an auditor sees the same
recommendation read-only and its state on a past date; markup in a recommendation's text
is shown as text, never run."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest
import uvicorn

from domain.authority import Authority
from domain.recommendation import Recommendation
from domain.task import Task, TaskKind
from domain.user import User, user_id_for
from domain.values import Role
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.api import create_app
from services.application.commands.tasks import OpenTask
from services.application.executor import Executor
from services.application.runtime import Runtime
from services.application.store import Rectrack
from services.stack import wait_until
from tests.api.conftest import SETUP, TEST_PASSWORD, make_user
from tests.builders import Commander, authority, issued_recommendation
from tests.ports import free_port

pytestmark = pytest.mark.e2e

playwright_sync = pytest.importorskip("playwright.sync_api")


def chromium_path() -> str:
    found = os.environ.get("RECTRACK_CHROMIUM") or next(
        (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p),
        None,
    )
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("no Chromium on this machine: `make test` installs Debian's chromium")
    pytest.skip("no Chromium (install Debian's chromium, or set RECTRACK_CHROMIUM)")


@pytest.fixture
def served(settings: Settings, database_url: str, app: Rectrack) -> Iterator[str]:
    projector = Projector(settings, database_url)
    projector.start()
    runtime = Runtime(settings=settings, database_url=database_url, app=app)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(runtime, read_pool_size=2), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_until(lambda: server.started, 30, "uvicorn", interval=0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        projector.stop()


@pytest.fixture
def browser() -> Iterator[Any]:
    with playwright_sync.sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=chromium_path(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield launched
        finally:
            launched.close()


def medium_date(day: str) -> str:
    """A day as the English UI writes it (Intl's medium date style): "Dec 1, 2026"."""
    d = date.fromisoformat(day)
    return f"{d:%b} {d.day}, {d.year}"


def sign_in(page: Any, base: str, who: str, password: str | None = None) -> None:
    """Sign in through the sign-in form, as a person does. `who` is a username, or what
    `make_user` returned (a token that also carries its username and password); the
    password defaults to the one make_user gives everyone."""
    username = getattr(who, "username", who)
    page.goto(f"{base}/ui/#/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password or getattr(who, "password", TEST_PASSWORD))
    page.get_by_role("button", name="Sign in").click()
    # Signed in once the form is gone and the first page (the inbox, or a liaison's list)
    # has its heading.
    page.locator("#signout").wait_for()
    page.locator("#login").wait_for(state="detached")
    page.locator("main h1").first.wait_for()


def until_true(page: Any, expression: str, timeout: float = 60) -> None:
    """Polls a JavaScript expression in the page until it is true. Not
    page.wait_for_function: under the app's CSP (script-src 'self', no 'unsafe-eval') its
    predicate, evaluated again when not true at once, fails with an EvalError, so a chart
    still being drawn failed the test by chance; page.evaluate is not subject to the CSP."""
    wait_until(lambda: bool(page.evaluate(expression)), timeout, expression, 0.1)


def event_names(app: Rectrack, aggregate_id: UUID) -> list[str]:
    return [type(e).__qualname__.split(".")[-1] for e in app.events.get(aggregate_id)]


def test_caseworker_and_auditor_in_the_browser(
    served: str, browser: Any, app: Rectrack, executor: Executor, run: Commander
) -> None:
    authority_id = authority(run)
    issued_on = date.today() - timedelta(days=40)
    rec_id = issued_recommendation(run, authority_id, issued_on)
    hostile = issued_recommendation(
        run,
        authority_id,
        date.today(),
        text="<img src=x onerror=\"document.title='owned'\">Provide interpreters",
    )
    opened = OpenTask(
        opened_by="obligation-test:escalation-1",
        kind=TaskKind.SEND_ESCALATION_LETTER,
        title="Send escalation letter to the ministry",
        role=Role.CASEWORKER,
        due_on=date.today() + timedelta(days=7),
        recommendation_ids=[rec_id],
        workflow_id="obligation-test",
    )
    task_id = run(opened, caller=SETUP, on=date.today()).aggregate_id
    caseworker = make_user(executor, "carla", Role.CASEWORKER)
    auditor = make_user(executor, "aude", Role.AUDITOR)
    carla = app.find(User, user_id_for("carla"))
    assert carla is not None

    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The pages may run only their own script: markup smuggled into a text cannot run.
    first = page.goto(f"{served}/ui/")
    assert first is not None
    assert "script-src 'self'" in first.headers["content-security-policy"]
    # A wrong password is refused with the server's words, and nothing else is shown.
    page.get_by_label("Username").fill("carla")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    assert "password is wrong" in page.get_by_role("alert").inner_text()

    # The inbox: claim the unclaimed task, then complete it from "My tasks".
    sign_in(page, served, caseworker)
    page.get_by_role("link", name="Unclaimed").click()
    row = page.locator(f"tr[data-task='{task_id}']")
    row.get_by_role("button", name="Claim").click()
    page.get_by_text("Task claimed").wait_for()
    page.get_by_role("link", name="My tasks").click()
    row = page.locator(f"tr[data-task='{task_id}']")
    row.get_by_label("Outcome").fill("letter sent to the ministry")
    row.get_by_role("button", name="Complete").click()
    page.get_by_text("Task completed.").wait_for()
    assert event_names(app, task_id) == ["Opened", "Claimed", "Completed"]
    assert app.get(Task, task_id).assignee == str(carla.id)

    # The overdue list leads to the recommendation; its reply is recorded through the form.
    page.get_by_role("link", name="Overdue").click()
    page.get_by_role("link", name="Ensure daily access to fresh air").click()
    page.get_by_role("heading", name="History").wait_for()
    assert page.locator(".facts").get_by_text("overdue").count() == 1
    before = app.recorder.max_notification_id()

    # Refused by the domain: the new due date lies before the current one. The form says
    # which field and rule, and the store is unchanged.
    extend = page.locator("form[data-action='extend_reply_deadline']")
    extend.get_by_label("New due date").fill((issued_on + timedelta(days=1)).isoformat())
    extend.get_by_role("button", name="Extend the reply deadline").click()
    extend.get_by_role("alert").wait_for()
    assert "new_due" in extend.get_by_role("alert").inner_text()
    assert app.recorder.max_notification_id() == before

    reply = page.locator("form[data-action='record_response']")
    reply.get_by_label("Position").select_option("partially_accepted")
    reply.get_by_label("What the authority said").fill("Yard time extended from March.")
    reply.get_by_label("Agreed implementation date").fill(
        (date.today() + timedelta(days=90)).isoformat()
    )
    reply.get_by_role("button", name="Record the authority's response").click()
    page.get_by_text("recorded.").wait_for()
    page.locator(".facts").get_by_text("partially accepted").wait_for()
    recorded = app.get(Recommendation, rec_id)
    assert recorded.status.value == "responded"
    last = list(app.events.get(rec_id))[-1]
    assert type(last).__qualname__.endswith("ResponseReceived")
    assert last.meta.actor_id == str(carla.id)
    assert last.meta.actor_role == "caseworker"
    # the recommendation's own events, one line each (the task's lines are marked apart),
    # with what changed on demand
    timeline = page.locator(".timeline li:not(.task)")
    assert timeline.count() == 3
    assert "recorded the reply of" in timeline.nth(2).inner_text()
    assert "partially accepted" in timeline.nth(2).inner_text()
    assert '"issued" → "responded"' in (timeline.nth(2).text_content() or "")

    # A new recommendation, drafted and issued from the form, lands on its own page.
    page.get_by_role("link", name="Draft").click()
    draft = page.locator("form#draft")
    draft.get_by_label("Recommendation").fill("Give every detainee a written notice of rights")
    draft.get_by_label("Addressed to").select_option(label="Ministry of Justice")
    draft.get_by_label("Themes").fill("procedural safeguards, information")
    draft.get_by_label("Issue it on").fill(date.today().isoformat())
    draft.get_by_role("button", name="Save").click()
    page.locator("h1", has_text="written notice of rights").wait_for()
    made = UUID(page.url.rsplit("/", 1)[1])
    assert event_names(app, made) == ["Drafted", "Issued"]
    assert app.get(Recommendation, made).tags["themes"] == ["procedural safeguards", "information"]
    assert next(iter(app.events.get(made))).meta.actor_id == str(carla.id)

    # A draft is reviewed against the Double-SMART checklist before it is issued.
    page.get_by_role("link", name="Draft").click()
    draft = page.locator("form#draft")
    draft.get_by_label("Recommendation").fill("Keep a register of every use of restraint")
    draft.get_by_label("Addressed to").select_option(label="Ministry of Justice")
    draft.get_by_role("button", name="Save").click()
    page.locator("h1", has_text="register of every use of restraint").wait_for()
    reviewed = UUID(page.url.rsplit("/", 1)[1])
    review = page.locator("form[data-action='record_review']")
    boxes = review.locator("input[name=criterion]")
    assert boxes.count() == 10
    for n in range(8):
        boxes.nth(n).check()
    review.get_by_role("button", name="Record the Double-SMART review").click()
    page.locator(".facts").get_by_text("8 of 10 criteria met").wait_for()
    assert event_names(app, reviewed) == ["Drafted", "DoubleSmartReviewRecorded"]
    assert app.get(Recommendation, reviewed).review["met"] == 8

    # The registry: an authority with its ladder, a place, and a report sent 40 days ago,
    # whose statutory clock then runs from the date it was sent.
    page.get_by_role("link", name="Registry").click()
    form = page.locator("form#authority")
    form.get_by_label("Name", exact=True).fill("Ministry of Health")
    form.get_by_label("Kind", exact=True).fill("ministry")
    form.get_by_label("Jurisdiction").fill("DE")
    form.get_by_label("Reply period (days)", exact=True).fill("30")
    form.get_by_label("Urgent reply period (days)").fill("5")
    form.get_by_label("Level 1: action").fill("reminder letter")
    form.locator("input[name=addressee0]").fill("hospital director")
    form.locator("input[name=wait0]").fill("14")
    form.get_by_role("button", name="Register").click()
    page.get_by_text("Authority registered: Ministry of Health.").wait_for()
    place = page.locator("form#place")
    place.get_by_label("Name").fill("St. Orla Psychiatric Hospital")
    place.get_by_label("Type").select_option("psychiatric_institution")
    place.get_by_label("Responsible authority").select_option(label="Ministry of Health")
    place.get_by_role("button", name="Register").click()
    page.get_by_text("Place registered: St. Orla Psychiatric Hospital.").wait_for()
    sent_on = date.today() - timedelta(days=40)
    report = page.locator("form#report")
    report.get_by_label("Title").fill("Visit to St. Orla, March")
    report.get_by_label("Report date").fill(sent_on.isoformat())
    report.get_by_label("Sent to").select_option(label="Ministry of Health")
    report.get_by_label("Sent on").fill(sent_on.isoformat())
    report.get_by_role("button", name="Register").click()
    page.get_by_text("Report registered and sent").wait_for()
    registered = {
        type(e).__qualname__: e
        for n in app.recorder.select_notifications(0, 10_000)
        for e in [app.mapper.to_domain_event(n)]
        if type(e).__qualname__ in ("Authority.Registered", "Report.SentToAuthority")
        and getattr(e, "name", "Ministry of Health") == "Ministry of Health"
    }
    health = registered["Authority.Registered"]
    ladder = app.get(Authority, health.originator_id).ladder_on(date.today())
    assert [(lv.action, lv.addressee, lv.wait_days) for lv in ladder] == [
        ("reminder letter", "hospital director", 14)
    ]
    sending = registered["Report.SentToAuthority"]
    assert sending.sent_on == sent_on
    assert sending.reply_due >= sent_on + timedelta(days=30)
    assert sending.meta.actor_id == str(carla.id)

    # A recommendation drafted into that report, issued the day it was sent, owes its
    # reply by the report's due date.
    page.get_by_role("link", name="Draft").click()
    draft = page.locator("form#draft")
    draft.get_by_label("Recommendation").fill("Review every seclusion within one hour")
    draft.get_by_label("Addressed to").select_option(label="Ministry of Health")
    draft.get_by_label("Place").select_option(
        label="St. Orla Psychiatric Hospital (psychiatric institution)"
    )
    draft.get_by_label("In the report").select_option(label="Visit to St. Orla, March")
    draft.get_by_label("Issue it on").fill(sent_on.isoformat())
    draft.get_by_role("button", name="Save").click()
    page.locator("h1", has_text="Review every seclusion").wait_for()
    in_report = app.get(Recommendation, UUID(page.url.rsplit("/", 1)[1]))
    assert in_report.report_id == str(sending.originator_id)
    assert in_report.reply_due == sending.reply_due

    # Markup in a text is shown as text and never runs.
    page.goto(f"{served}/ui/#/recommendations/{hostile}")
    page.locator("h1", has_text="Provide interpreters").wait_for()
    assert "<img" in page.locator("h1").inner_text()
    assert page.title() == "rectrack"

    # An auditor reads everything, is offered no action, and can look at a past date.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, served, auditor)
    page.goto(f"{served}/ui/#/recommendations/{rec_id}")
    page.locator("h1", has_text="Ensure daily access").wait_for()
    page.get_by_role("heading", name="History").wait_for()
    assert page.locator("form[data-action]").count() == 0
    assert page.get_by_role("link", name="Draft").is_hidden()
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    page.get_by_label("State as of the end of").fill(yesterday)
    page.get_by_role("button", name="Show").click()
    # By the business date (the default) it had been issued 40 days before.
    page.get_by_text(f"Showing the state at the end of {medium_date(yesterday)}").wait_for()
    assert page.locator(".facts").get_by_text("issued").count() >= 1
    page.locator("select[name=basis]").select_option("recorded")
    page.get_by_role("button", name="Show").click()
    # Everything was recorded today: on yesterday's books the recommendation did not exist.
    nothing = (
        "Nothing about this recommendation had been recorded by the end of "
        f"{medium_date(yesterday)}."
    )
    page.get_by_text(nothing).wait_for()
    page.get_by_role("link", name="Show its state by the dates things happened").wait_for()
    today = date.today().isoformat()
    page.goto(f"{served}/ui/#/recommendations/{rec_id}?as_of={today}&basis=recorded")
    shown = f"Showing what had been recorded by the end of {medium_date(today)}"
    page.get_by_text(shown).wait_for()

    assert errors == []


def test_an_authority_liaison_sees_and_answers_only_its_own(
    served: str, browser: Any, app: Rectrack, executor: Executor, run: Commander
) -> None:
    own = authority(run)
    other = authority(run)
    mine = issued_recommendation(run, own, date.today() - timedelta(days=5))
    theirs = issued_recommendation(run, other, date.today(), text="Another authority's business")
    liaison = make_user(executor, "lia", Role.AUTHORITY_LIAISON, authority_id=own)

    page = browser.new_page()
    sign_in(page, served, liaison)
    page.get_by_role("heading", name="Recommendations").wait_for()
    for hidden in ("Inbox", "Draft", "Registry"):
        assert page.get_by_role("link", name=hidden).is_hidden(), hidden
    # its own authority's statistics (tests/e2e/test_stats_pages.py)
    assert page.get_by_role("link", name="Statistics").is_visible()
    page.get_by_role("link", name="Ensure daily access to fresh air").wait_for()
    assert page.locator("table a").count() == 1

    page.get_by_role("link", name="Ensure daily access to fresh air").click()
    page.get_by_role("heading", name="History").wait_for()
    offered = page.locator("form[data-action]")
    assert offered.count() == 1
    assert offered.get_attribute("data-action") == "record_response"
    offered.get_by_label("Position").select_option("accepted")
    offered.get_by_label("What the authority said").fill("The yard is open daily from May.")
    offered.get_by_role("button", name="Record the authority's response").click()
    page.locator(".facts").get_by_text("accepted").wait_for()
    last = list(app.events.get(mine))[-1]
    assert type(last).__qualname__.endswith("ResponseReceived")
    assert last.meta.actor_role == "authority_liaison"

    page.goto(f"{served}/ui/#/recommendations/{theirs}")
    page.get_by_role("alert").wait_for()
    # Answered as if it did not exist: a liaison learns nothing of other authorities.
    assert "does not exist" in page.get_by_role("alert").inner_text()
