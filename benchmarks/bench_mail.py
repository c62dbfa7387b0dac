"""E-mail sent exactly once, against the floor of the same messages handed to the same
SMTP server (aiosmtpd in this process) with no send record and no event.

1. floor: compose + SMTP, one connection per message, as the adapter does;
2. exactly once: the same, plus the key's lock and send record (reserve, `sending`,
   `sent`) and the Email.Sent event through the executor;
3. a redelivery of every send: found recorded, nothing sent.

Run: make bench-mail  (options: --mails N)
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from aiosmtpd.controller import Controller

from benchmarks.harness import benchmark_database_url, print_table, scratch_schema
from domain.email import message_id_for
from services.adapters.database import eventsourcing_env
from services.adapters.documents import DocumentStore
from services.adapters.log_config import configure_logging
from services.adapters.mail import Outgoing, SmtpConfig, compose, deliver
from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.mail.conftest import MailServer
from tests.ports import free_port
from workflows.mail import Mail, MailActivities
from workflows.mail_render import render

DAY = date(2030, 4, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mails", type=int, default=100)
    args = parser.parse_args()
    configure_logging(Settings(log_level="warning", _env_file=None))  # type: ignore[call-arg]
    url = benchmark_database_url()
    server = MailServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    config = SmtpConfig("127.0.0.1", server.port, "none", "npm@npm.example.org")
    rendered = render(
        "letter",
        "en",
        title="",
        kind="reminder",
        due_on=DAY,
        level=None,
        references=["NPM-2030-0001"],
        sender=config.sender,
    )
    try:
        with scratch_schema(url, "bench_mail") as schema:
            settings = Settings(database_url=url, database_schema=schema, _env_file=None)  # type: ignore[call-arg]
            app = Rectrack(env=eventsourcing_env(settings, url))
            mail = MailActivities(
                Executor(app),
                config,
                database_url=url,
                schema=schema,
                documents=DocumentStore(url, schema),
            )
            mails = [
                Mail(
                    f"digest:daily:{DAY}:user{n}",
                    "daily_digest",
                    [f"user{n}@npm.example.org"],
                    rendered,
                    DAY,
                    [],
                    [],
                )
                for n in range(args.mails)
            ]
            mail.send_once(
                Mail(
                    "digest:daily:warm:up",
                    "daily_digest",
                    ["w@npm.example.org"],
                    rendered,
                    DAY,
                    [],
                    [],
                )
            )  # tables made, connections warm

            started = time.perf_counter()
            for m in mails:
                outgoing = Outgoing(
                    m.recipients,
                    rendered.subject,
                    rendered.text,
                    message_id_for(m.key + ":floor", config.domain),
                )
                deliver(config, compose(config, outgoing))
            floor = time.perf_counter() - started

            started = time.perf_counter()
            for m in mails:
                mail.send_once(m)
            once = time.perf_counter() - started

            before = len(server.received)
            started = time.perf_counter()
            for m in mails:
                mail.send_once(m)
            again = time.perf_counter() - started
            assert len(server.received) == before, "a redelivery sent again"
            app.close()
    finally:
        controller.stop()
    n = args.mails
    print_table(
        f"E-mail, {n:,} messages, one SMTP connection each (aiosmtpd in process)",
        ["path", "seconds", "mails/s", "ms per mail", "vs floor"],
        [
            ["floor: compose + SMTP", floor, n / floor, 1000 * floor / n, "1.00"],
            [
                "exactly once: + lock, send record, event",
                once,
                n / once,
                1000 * once / n,
                f"{floor / once:.2f}",
            ],
            ["redelivered: found recorded, not sent", again, n / again, 1000 * again / n, "-"],
        ],
    )


if __name__ == "__main__":
    main()
