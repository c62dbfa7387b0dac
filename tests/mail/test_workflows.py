"""Letters and digests sent by a real worker on Temporal's time-skipping server, to a
real SMTP server in the test process: a letter reaches the authority's address in its
language with the document attached; the digests go out at their hour with the right
tasks and figures, in each reader's language; a worker killed after the SMTP server
accepted a message and before the event was recorded does not send it again when the
activity is retried; switched off, the digests stop."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.email import Email, email_id_for
from domain.task import TaskKind
from domain.user import user_id_for
from domain.values import Language, Role
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from services.adapters.documents import DocumentStore
from services.adapters.settings import Settings
from services.application.commands.recommendations import RecordEscalation
from services.application.commands.registry import RecordAuthorityContact
from services.application.commands.tasks import ClaimTask, OpenTask
from services.application.commands.users import CreateUser, GrantRole, SetUserContact
from services.application.evidence_audit import audit_evidence
from services.application.executor import Caller
from services.application.store import Rectrack
from tests.builders import Commander, authority, issued_recommendation
from tests.mail.conftest import Faults, MailServer
from tests.workflows.conftest import TASK_QUEUE, midnight, skip_to
from workflows.activities import SYSTEM
from workflows.mail import MARKED, MailActivities
from workflows.mail_messages import DigestKind, DigestPlan, LetterMail, letter_mail_from
from workflows.mail_schedule import WORKFLOW_IDS, digest_plans, email_letter, ensure_digests
from workflows.mail_workflows import LetterMailWorkflow
from workflows.relay import Relay
from workflows.worker import build_worker

pytestmark = pytest.mark.temporal

MONDAY = date(2030, 4, 1)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = b"%PDF-1.4\n% a letter\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def test_a_letter_reaches_the_authority_in_its_language_with_the_attachment(
    run: Commander,
    app: Rectrack,
    mail: MailActivities,
    smtp_server: MailServer,
    skipping: WorkflowEnvironment,
    database_url: str,
    schema: str,
) -> None:
    ministry = authority(run)
    run(RecordAuthorityContact(email="registry@justice.example", language=Language.FR), ministry)
    rec = issued_recommendation(run, ministry)
    sha = mail.documents.put(PDF, "application/pdf")
    # as the relay makes it from a LetterGenerated event (workflows/mail_messages.py)
    letter = letter_mail_from(
        str(rec),
        {
            "kind": "reminder",
            "authority_id": str(ministry),
            "recommendation_ids": [str(rec)],
            "documents": [
                {"media_type": DOCX, "sha256": "ab" * 32, "filename": "x.docx", "size": 9},
                {"media_type": "application/pdf", "sha256": sha, "filename": "rappel.pdf"},
            ],
            "due_on": "2030-04-15",
            "level": None,
        },
        MONDAY,
    )
    assert letter is not None
    mail.fault = Faults(MARKED)  # the first attempt "dies" after the server accepted it
    async with build_worker(
        skipping.client, mail.executor, TASK_QUEUE, cache_workflows=False, mail=mail
    ):
        await email_letter(skipping.client, TASK_QUEUE, letter)
        await email_letter(skipping.client, TASK_QUEUE, letter)  # a second start: refused
        handle = skipping.client.get_workflow_handle(letter.workflow_id)
        message_id = await handle.result()
        # the same letter sent by a new workflow run (e.g. a reset): nothing new is sent
        again = await skipping.client.execute_workflow(
            LetterMailWorkflow.run, letter, id=f"{letter.workflow_id}-again", task_queue=TASK_QUEUE
        )
    assert mail.fault.hit == [letter.key]  # the worker did die once
    assert again == message_id
    (received,) = smtp_server.received  # once, across the retry
    assert received.recipients == ["registry@justice.example"]
    assert received.message_id == message_id
    assert received.message["Subject"] == "Rappel : votre réponse est attendue le 15 avr. 2030"
    assert "Veuillez trouver notre courrier ci-joint." in received.text
    assert "Il concerne : NPM-2026-0001." in received.text
    (attachment,) = list(received.message.iter_attachments())
    assert attachment.get_filename() == "rappel.pdf"
    assert attachment.get_content_type() == "application/pdf"
    content = attachment.get_content()
    assert hashlib.sha256(content).hexdigest() == sha
    email = app.get(Email, email_id_for(letter.key))
    assert (email.message_id, email.attachments, email.purpose) == (message_id, [sha], "letter")
    assert str(rec) in email.about and str(ministry) in email.about
    assert email.attempts == 1
    # the audit of documents finds the attachment the event names, intact in the store
    audit = audit_evidence(app, DocumentStore(database_url, schema))
    assert audit.intact and sha not in audit.unreferenced


async def test_an_authority_without_an_address_gets_no_email(
    run: Commander, mail: MailActivities, smtp_server: MailServer
) -> None:
    ministry = authority(run)
    sha = mail.documents.put(PDF, "application/pdf")
    letter = LetterMail(str(ministry), sha, "letter.pdf", MONDAY, kind="transmittal")
    assert mail.email_letter(letter) == ""
    assert smtp_server.received == []


def person(
    run: Commander, username: str, role: Role, email: str | None, language: Language
) -> None:
    user = run(CreateUser(username=username, display_name=username.title())).aggregate_id
    run(GrantRole(role=role), user)
    if email is not None:
        run(SetUserContact(email=email, language=language), user)


def task(
    run: Commander, rec: UUID, kind: TaskKind, title: str, due: date, holder: str | None
) -> None:
    opened = run(
        OpenTask(
            opened_by=f"wf-{title}",
            kind=kind,
            title=title,
            role=Role.CASEWORKER,
            due_on=due,
            recommendation_ids=[rec],
            workflow_id="wf",
        ),
        on=date(2030, 3, 1),
        caller=SYSTEM,
    )
    if holder is not None:
        run(
            ClaimTask(),
            opened.aggregate_id,
            on=date(2030, 3, 2),
            caller=Caller(str(user_id_for(holder)), "caseworker"),
        )


async def test_the_digests_go_out_at_their_hour_with_the_right_tasks_once(
    run: Commander,
    app: Rectrack,
    mail: MailActivities,
    smtp_server: MailServer,
    skipping: WorkflowEnvironment,
    settings: Settings,
    database_url: str,
    schema: str,
) -> None:
    person(run, "hedda", Role.CASEWORKER, "hedda@npm.example.org", Language.FR)
    person(run, "carla", Role.CASEWORKER, "carla@npm.example.org", Language.EN)  # no tasks
    person(run, "nemo", Role.CASEWORKER, None, Language.EN)  # no address
    person(run, "aude", Role.COMPLIANCE, "aude@npm.example.org", Language.ES)
    ministry = authority(run, name="Ministère de la Justice")
    rec = issued_recommendation(run, ministry, date(2030, 1, 2))  # reply due 1 February
    task(
        run, rec, TaskKind.SEND_REMINDER, "Send the reminder letter", date(2030, 3, 25), "hedda"
    )  # overdue
    task(
        run,
        rec,
        TaskKind.SEND_ESCALATION_LETTER,
        "Send the escalation letter",
        date(2030, 4, 5),
        "hedda",
    )  # due soon
    task(
        run,
        rec,
        TaskKind.VERIFY_IMPLEMENTATION,
        "Verify implementation",
        date(2030, 5, 30),
        "hedda",
    )  # later: not listed
    task(
        run,
        rec,
        TaskKind.DELIVER_LETTER,
        "The letter to Ministère de la Justice could not be delivered: mailbox full",
        date(2030, 4, 3),
        "hedda",
    )  # due soon, its stored English title said in French
    task(run, rec, TaskKind.SEND_REMINDER, "Someone else's task", date(2030, 3, 20), "nemo")
    last = run(
        RecordEscalation(level=1, action="letter", addressee="ministry", obligation_id="wf"),
        rec,
        on=date(2030, 3, 28),
        caller=SYSTEM,
    )
    projector = Projector(settings, database_url)
    projector.start()
    try:
        wait_until_caught_up(database_url, schema, last.notification_id or 0, timeout=60)
    finally:
        projector.stop()

    mail.fault = Faults(MARKED)  # the worker "dies" after the first digest was accepted
    client = skipping.client
    async with build_worker(client, mail.executor, TASK_QUEUE, cache_workflows=False, mail=mail):
        await skip_to(skipping, MONDAY)
        plans = {
            DigestKind.DAILY: DigestPlan(DigestKind.DAILY, 6),
            DigestKind.WEEKLY: DigestPlan(DigestKind.WEEKLY, 7, weekday=0),
        }
        await ensure_digests(client, TASK_QUEUE, plans)
        await skipping.sleep(
            midnight(MONDAY) + timedelta(hours=5, minutes=59) - await now(skipping)
        )
        assert smtp_server.received == []  # not yet 06:00
        await skipping.sleep(timedelta(minutes=2))
        assert [r.recipients for r in smtp_server.received] == [["hedda@npm.example.org"]]
        await skipping.sleep(timedelta(hours=1))  # 07:01: the weekly digest
        assert len(smtp_server.to("aude@npm.example.org")) == 1
        await skipping.sleep(timedelta(days=1))  # Tuesday 07:01: the next daily digest
        assert len(smtp_server.to("hedda@npm.example.org")) == 2
        # the activity redelivered: nothing is sent again
        assert mail.email_daily_digests(MONDAY) == 1
        await ensure_digests(client, TASK_QUEUE, dict.fromkeys(DigestKind))  # switched off
        for workflow_id in WORKFLOW_IDS.values():
            described = await client.get_workflow_handle(workflow_id).describe()
            assert described.status == WorkflowExecutionStatus.TERMINATED

    assert len(mail.fault.hit) == 1
    assert smtp_server.to("carla@npm.example.org") == []
    daily = smtp_server.to("hedda@npm.example.org")[0]
    assert (
        daily.message["Subject"] == "Vos tâches du 1 avril 2030 : 1 en retard, 2 à échéance proche"
    )
    assert daily.message["Content-Language"] == "fr"
    text = daily.text
    # the tasks named in French by their kind (or their title said in French), with the
    # recommendation and authority
    assert [line for line in text.splitlines() if line.startswith("- ")] == [
        "- Envoyer le rappel (NPM-2030-0001, Ministère de la Justice) : échéance 25 mars 2030,"
        " jours de retard : 7",
        "- La lettre à Ministère de la Justice n'a pas pu être remise : mailbox full"
        " (NPM-2030-0001, Ministère de la Justice) : échéance 3 avr. 2030",
        "- Envoyer la lettre d\u2019escalade (NPM-2030-0001, Ministère de la Justice) : échéance"
        " 5 avr. 2030",
    ]
    assert "https://rectrack.npm.example.org/#/inbox" in text
    email = app.get(Email, email_id_for("digest:daily:2030-04-01:hedda"))
    assert email.message_id == daily.message_id and email.attempts == 1

    (weekly,) = smtp_server.to("aude@npm.example.org")
    assert weekly.message["Content-Language"] == "es"
    text = weekly.text
    assert "respuestas vencidas: 1" in text
    assert "escalamientos de la semana: 1" in text
    assert "Ministère de la Justice, nivel 1 (letter, ministry)" in text
    assert "tareas abiertas: 5, de ellas vencidas: 2" in text


async def now(env: WorkflowEnvironment) -> datetime:
    return await env.get_current_time()


def test_without_an_smtp_host_no_digest_is_planned(settings: Settings) -> None:
    assert digest_plans(settings) == dict.fromkeys(DigestKind)
    on = settings.model_copy(update={"smtp_host": "mail.example", "digest_weekly_hour": -1})
    assert digest_plans(on) == {
        DigestKind.DAILY: DigestPlan(DigestKind.DAILY, 6),
        DigestKind.WEEKLY: None,
    }


async def test_the_relay_emails_a_generated_letter_once(
    run: Commander,
    app: Rectrack,
    mail: MailActivities,
    smtp_server: MailServer,
    skipping: WorkflowEnvironment,
) -> None:
    """The relay's route for LetterGenerated (on a report or a recommendation; the event
    classes come with the letters' branch, so the event is stood in for here by an
    object with the event's fields)."""
    ministry = authority(run)
    run(RecordAuthorityContact(email="registry@justice.example"), ministry)
    report = uuid4()
    sha = mail.documents.put(PDF, "application/pdf")
    event = SimpleNamespace(
        originator_id=report,
        originator_version=4,
        meta=SimpleNamespace(business_date=MONDAY),
        letter={
            "kind": "transmittal",
            "authority_id": str(ministry),
            "recommendation_ids": [],
            "documents": [{"media_type": "application/pdf", "sha256": sha, "filename": "t.pdf"}],
            "due_on": None,
            "level": None,
        },
    )
    quiet = Relay(app, skipping.client, task_queue=TASK_QUEUE, reminder_days=7)
    assert quiet._letter(event) == []  # e-mail off: the relay starts nothing
    relay = Relay(app, skipping.client, task_queue=TASK_QUEUE, reminder_days=7, email_letters=True)
    (delivery,) = relay._letter(event)
    async with build_worker(
        skipping.client, mail.executor, TASK_QUEUE, cache_workflows=False, mail=mail
    ):
        await relay._deliver(delivery)
        await relay._deliver(delivery)  # the event delivered again
        handle = skipping.client.get_workflow_handle(delivery.workflow_id)
        message_id = await handle.result()
    (received,) = smtp_server.received
    assert received.message_id == message_id
    assert received.message["Subject"] == "Our report"
    email = app.get(Email, email_id_for(f"letter:{sha}:{ministry}"))
    assert str(report) in email.about


async def test_a_new_hour_takes_effect_without_a_restart(
    mail: MailActivities, skipping: WorkflowEnvironment
) -> None:
    client = skipping.client
    async with build_worker(client, mail.executor, TASK_QUEUE, cache_workflows=False, mail=mail):
        await skip_to(skipping, MONDAY)
        daily = {DigestKind.DAILY: DigestPlan(DigestKind.DAILY, 6)}
        await ensure_digests(client, TASK_QUEUE, daily)
        handle = client.get_workflow_handle(WORKFLOW_IDS[DigestKind.DAILY])
        assert await handle.query("next_due") == "2030-04-01T06:00:00+00:00"
        await ensure_digests(
            client, TASK_QUEUE, {DigestKind.DAILY: DigestPlan(DigestKind.DAILY, 9)}
        )
        assert await handle.query("next_due") == "2030-04-01T09:00:00+00:00"
        first_run = (await handle.describe()).run_id
        await ensure_digests(client, TASK_QUEUE, {DigestKind.DAILY: None})
        assert (await handle.describe()).run_id == first_run  # the same run all along
        assert (await handle.describe()).status == WorkflowExecutionStatus.TERMINATED
