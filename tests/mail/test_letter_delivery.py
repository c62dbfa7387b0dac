"""A letter's e-mail after it leaves rectrack, against a real SMTP server in the test
process: refused for good (550) it becomes a caseworker's task naming the authority and
the server's reason, once, and the workflow ends rather than fails; sent, it stands in the
recommendation's history beside the letter (kept on the report) as sentences."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest
from aiosmtpd.controller import Controller
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.email import Email, email_id_for
from domain.report import Report
from domain.task import Task, TaskKind, TaskState
from domain.values import Language, Role
from services.adapters.mail import SmtpConfig
from services.api.views import full_history
from services.application.commands.registry import RecordAuthorityContact
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import (
    Commander,
    authority,
    missed_deadline_letter,
    sent_report_recommendation,
)
from tests.mail.conftest import MailServer
from tests.mail.test_sending import RefusingServer
from tests.ports import free_port
from tests.workflows.conftest import TASK_QUEUE
from workflows.mail import MailActivities
from workflows.mail_messages import LetterMail, letter_mail_from
from workflows.mail_schedule import email_letter
from workflows.mail_workflows import LetterMailWorkflow
from workflows.worker import build_worker

ISSUED_ON = date.today() - timedelta(days=50)


@pytest.fixture
def refusing(mail: MailActivities) -> Iterator[RefusingServer]:
    """An SMTP server that answers 550 for nobody@npm.example.org, wired to `mail`."""
    server = RefusingServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    mail.config = SmtpConfig("127.0.0.1", server.port, "none", "npm@npm.example.org")
    yield server
    controller.stop()


def a_missed_deadline_letter(
    run: Commander, executor: Executor, app: Rectrack, address: str
) -> tuple[UUID, UUID, LetterMail]:
    """(recommendation, report, its e-mail): a report sent to a French ministry, one
    recommendation in it, and the deadline workflow's letter when the reply was missed
    (recorded on the report), as the relay hands it to the mail workflow."""
    ministry = authority(run, name="Ministère de la Justice")
    run(RecordAuthorityContact(email=address, language=Language.FR), ministry)
    report, rec = sent_report_recommendation(run, ministry, ISSUED_ON, title="Visite de Fresnes")
    missed_on = ISSUED_ON + timedelta(days=40)
    missed_deadline_letter(
        executor,
        report,
        ministry,
        rec,
        missed_on - timedelta(days=1),
        command_id="obligation-delivery:missed:letter",
    )
    (letter,) = app.get(Report, report).letters
    mail = letter_mail_from(str(report), letter, missed_on)
    assert mail is not None
    return rec, report, mail


def delivery_tasks(app: Rectrack, letter: LetterMail) -> list[Task]:
    task = app.find(Task, Task.create_id(f"mail-{letter.key}"))
    return [task] if task is not None else []


@pytest.mark.temporal
async def test_a_letter_refused_for_good_becomes_a_caseworkers_task(
    run: Commander,
    executor: Executor,
    app: Rectrack,
    mail: MailActivities,
    refusing: RefusingServer,
    skipping: WorkflowEnvironment,
) -> None:
    rec, _, letter = a_missed_deadline_letter(run, executor, app, "nobody@npm.example.org")
    async with build_worker(
        skipping.client, mail.executor, TASK_QUEUE, cache_workflows=False, mail=mail
    ):
        await email_letter(skipping.client, TASK_QUEUE, letter)
        handle = skipping.client.get_workflow_handle(letter.workflow_id)
        assert await handle.result() == ""  # ended, not failed: nothing left to retry
        assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
        # the same letter relayed again by a new run: no second task
        await skipping.client.execute_workflow(
            LetterMailWorkflow.run, letter, id=f"{letter.workflow_id}-again", task_queue=TASK_QUEUE
        )
    assert refusing.received == []
    assert app.find(Email, email_id_for(letter.key)) is None  # nothing was sent
    (task,) = delivery_tasks(app, letter)
    assert task.kind == TaskKind.DELIVER_LETTER and task.state == TaskState.OPEN
    assert task.role == Role.CASEWORKER and task.recommendation_ids == [str(rec)]
    assert task.title == (
        "The letter to Ministère de la Justice could not be delivered: every recipient was "
        "refused (nobody@npm.example.org: 550 5.1.1 no such mailbox)"
    )
    # the task stands in the recommendation's history, as a sentence
    lines = [e.summary for e in full_history(app, rec, [task.id])]
    assert any(
        line.startswith("The e-mail service opened the task \u201cThe letter to Ministère")
        for line in lines
    ), lines


def test_the_letter_and_its_email_read_as_sentences_in_the_history(
    run: Commander,
    executor: Executor,
    app: Rectrack,
    mail: MailActivities,
    smtp_server: MailServer,
) -> None:
    rec, report, letter = a_missed_deadline_letter(run, executor, app, "registry@justice.example")
    message_id = mail.email_letter(letter)
    assert [r.recipients for r in smtp_server.received] == [["registry@justice.example"]]

    history = full_history(app, rec, [])
    wrote = [e for e in history if e.event == "LetterGenerated"]
    sent = [e for e in history if e.event == "Sent"]
    assert [(e.about_id, e.summary) for e in wrote] == [
        (
            report,
            "The deadline workflow wrote the letter \u201creply deadline missed\u201d, in French.",
        )
    ]
    subject = smtp_server.received[0].message["Subject"]
    assert [(e.about_id, e.summary) for e in sent] == [
        (
            email_id_for(letter.key),
            f"The e-mail service e-mailed \u201c{subject}\u201d to registry@justice.example.",
        )
    ]
    assert sent[0].data["message_id"] == message_id
    # in business-date order: the letter, then its e-mail, after the recommendation's issue
    events = [e.event for e in history]
    assert events.index("Issued") < events.index("LetterGenerated") < events.index("Sent")
