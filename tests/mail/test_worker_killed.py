"""A worker process killed between sending a letter and recording it: the SMTP server
has the message, the event is missing; another worker takes the activity over once the
dead one's heartbeat is missed (LETTER_HEARTBEAT_TIMEOUT, 30 s: this test runs on a
Temporal dev server in real time, because the time-skipping server holds its clock while
an activity is outstanding) and records it without sending it again."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import IO

import pytest
from temporalio.testing import WorkflowEnvironment

from domain.email import Email, email_id_for
from services.application.commands.registry import RecordAuthorityContact
from services.application.store import Rectrack
from tests.builders import Commander, authority
from tests.mail.conftest import MailServer
from tests.mail.test_workflows import MONDAY, PDF
from tests.workflows.conftest import TASK_QUEUE
from workflows.converter import DATA_CONVERTER
from workflows.mail import MailActivities
from workflows.mail_messages import LetterMail
from workflows.mail_schedule import email_letter
from workflows.worker import binary, build_worker

pytestmark = pytest.mark.temporal


def until_ready(output: IO[str]) -> None:
    for line in output:  # the worker's log may come first
        if line.strip() == "ready":
            return
    raise AssertionError("the worker ended before it was ready")


@pytest.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), data_converter=DATA_CONVERTER
    )
    yield env
    await env.shutdown()


async def test_a_worker_process_killed_between_sending_and_recording_does_not_send_twice(
    run: Commander,
    app: Rectrack,
    mail: MailActivities,
    smtp_server: MailServer,
    dev_server: WorkflowEnvironment,
    database_url: str,
    schema: str,
) -> None:
    ministry = authority(run)
    run(RecordAuthorityContact(email="registry@justice.example"), ministry)
    sha = mail.documents.put(PDF, "application/pdf")
    letter = LetterMail(str(ministry), sha, "letter.pdf", MONDAY, kind="reminder")
    target = dev_server.client.service_client.config.target_host
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.mail.crash_worker",
            database_url,
            schema,
            target,
            str(smtp_server.port),
            TASK_QUEUE,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        await asyncio.to_thread(until_ready, worker.stdout)
        await email_letter(dev_server.client, TASK_QUEUE, letter)
        assert await asyncio.to_thread(worker.wait, 120) == 137  # killed after the send
    finally:
        if worker.poll() is None:
            worker.kill()
    assert len(smtp_server.received) == 1
    assert app.find(Email, email_id_for(letter.key)) is None  # not recorded: it died first

    # Another worker takes the activity over once the dead one's heartbeat is missed.
    async with build_worker(
        dev_server.client, mail.executor, TASK_QUEUE, cache_workflows=False, mail=mail
    ):
        handle = dev_server.client.get_workflow_handle(letter.workflow_id)
        message_id = await asyncio.wait_for(handle.result(), timeout=180)
    assert [r.message_id for r in smtp_server.received] == [message_id]  # sent once
    email = app.get(Email, email_id_for(letter.key))
    assert (email.message_id, email.attempts) == (message_id, 1)
