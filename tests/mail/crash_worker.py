"""A real worker in a process of its own that is killed (os._exit, as SIGKILL would end
it: no clean-up, no reply to Temporal) right after the SMTP server accepted a message
and the send record was marked, before the EmailSent event was recorded.

python -m tests.mail.crash_worker DATABASE_URL SCHEMA TEMPORAL_TARGET SMTP_PORT TASK_QUEUE"""

from __future__ import annotations

import asyncio
import os
import sys

from temporalio.client import Client

from services.adapters.database import eventsourcing_env
from services.adapters.documents import DocumentStore
from services.adapters.mail import SmtpConfig
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack
from workflows.converter import DATA_CONVERTER
from workflows.mail import MARKED, MailActivities
from workflows.worker import build_worker


def die(stage: str, key: str) -> None:
    if stage == MARKED:
        print(f"killed after sending {key}", flush=True)
        os._exit(137)


async def serve(url: str, schema: str, target: str, smtp_port: int, task_queue: str) -> None:
    settings = Settings(database_url=url, database_schema=schema, _env_file=None)  # type: ignore[call-arg]
    app = Rectrack(env=eventsourcing_env(settings, url))
    executor = Executor(app)
    mail = MailActivities(
        executor,
        SmtpConfig("127.0.0.1", smtp_port, "none", "npm@npm.example.org"),
        database_url=url,
        schema=schema,
        documents=DocumentStore(url, schema),
        fault=die,
    )
    client = await Client.connect(target, data_converter=DATA_CONVERTER)
    async with build_worker(client, executor, task_queue, cache_workflows=False, mail=mail):
        print("ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    url, schema, target, port, queue = sys.argv[1:6]
    asyncio.run(serve(url, schema, target, int(port), queue))
