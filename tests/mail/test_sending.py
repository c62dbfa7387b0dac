"""Sending one e-mail, against a real SMTP server in the test process and real
PostgreSQL: received once and recorded with its Message-ID; a redelivery, a worker that
died after the server accepted it, and two workers at once send nothing twice; e-mail off
sends nothing; STARTTLS with a login; the settings."""

from __future__ import annotations

import ssl
import threading
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from prometheus_client import REGISTRY
from temporalio.exceptions import ApplicationError

from domain.email import Email, email_id_for
from domain.errors import InvalidInput
from domain.user import User
from domain.values import Language, Role
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from services.adapters.mail import SmtpConfig
from services.adapters.outbox import Outbox
from services.adapters.settings import Settings
from services.application.commands.users import CreateUser, GrantRole, SetUserContact
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import Commander
from tests.mail.conftest import Faults, MailServer, self_signed, tls_context
from tests.ports import free_port
from workflows.mail import DELIVERED, MARKED, Mail, MailActivities
from workflows.mail_render import render

DAY = date(2030, 4, 1)


def a_mail(key: str = "digest:daily:2030-04-01:hedda") -> Mail:
    rendered = render("letter", "en", title="Visit report", references=[], sender="npm")
    return Mail(key, "daily_digest", ["hedda@npm.example.org"], rendered, DAY, ["u-1"], [])


def sent_count(outcome: str) -> float:
    labels = {"purpose": "daily_digest", "outcome": outcome}
    return REGISTRY.get_sample_value("rectrack_emails_total", labels) or 0.0


def recorded(app: Rectrack, key: str) -> Email:
    return app.get(Email, email_id_for(key))


def test_an_email_is_received_once_and_recorded_with_its_message_id(
    mail: MailActivities, smtp_server: MailServer, app: Rectrack, database_url: str, schema: str
) -> None:
    sent_before = sent_count("sent")
    first = mail.send_once(a_mail())
    again = mail.send_once(a_mail())  # the activity redelivered
    assert first == again
    (received,) = smtp_server.received
    assert received.recipients == ["hedda@npm.example.org"]
    assert received.message_id == first
    assert received.message["Subject"] == "Visit report"
    email = recorded(app, a_mail().key)
    assert (email.message_id, email.attempts, email.recipients) == (
        first,
        1,
        ["hedda@npm.example.org"],
    )
    assert email.sent_on == DAY
    record = Outbox(database_url, schema).record(a_mail().key)
    assert record is not None and (record["state"], record["attempts"]) == ("sent", 1)
    assert sent_count("sent") == sent_before + 1  # the worker's /metrics


def test_a_worker_killed_after_the_send_does_not_send_again(
    mail: MailActivities, smtp_server: MailServer, app: Rectrack
) -> None:
    mail.fault = Faults(MARKED)
    with pytest.raises(RuntimeError, match="worker killed"):
        mail.send_once(a_mail())
    assert len(smtp_server.received) == 1
    assert app.find(Email, email_id_for(a_mail().key)) is None  # the worker died first
    message_id = mail.send_once(a_mail())  # the retry
    assert [r.message_id for r in smtp_server.received] == [message_id]
    assert recorded(app, a_mail().key).attempts == 1


def test_a_crash_before_the_send_record_resends_with_the_same_message_id(
    mail: MailActivities, smtp_server: MailServer, app: Rectrack
) -> None:
    """The one window left (services/adapters/outbox.py): the server accepted the
    message, the worker died before `sent` was committed. The retry cannot know, so it
    sends again, with the same Message-ID, and the event says it took two attempts."""
    mail.fault = Faults(DELIVERED)
    with pytest.raises(RuntimeError, match="worker killed"):
        mail.send_once(a_mail())
    message_id = mail.send_once(a_mail())
    assert [r.message_id for r in smtp_server.received] == [message_id, message_id]
    assert recorded(app, a_mail().key).attempts == 2


def test_two_workers_sending_the_same_mail_at_once_send_it_once(
    mail: MailActivities, smtp_server: MailServer
) -> None:
    start = threading.Barrier(4)
    results: list[str | None] = []

    def worker() -> None:
        start.wait()
        results.append(mail.send_once(a_mail()))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp_server.received) == 1
    assert len(set(results)) == 1 and results[0] == smtp_server.received[0].message_id


def test_with_email_off_nothing_is_sent_or_recorded(
    mail: MailActivities, smtp_server: MailServer, app: Rectrack, database_url: str, schema: str
) -> None:
    mail.config = None
    assert mail.send_once(a_mail()) is None
    assert mail.email_daily_digests(DAY) == 0
    assert mail.email_weekly_digests(DAY) == 0
    assert smtp_server.received == []
    assert Outbox(database_url, schema).record(a_mail().key) is None
    assert app.find(Email, email_id_for(a_mail().key)) is None


def test_starttls_and_a_login(executor: Executor, mail: MailActivities, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    server = MailServer(free_port())

    def authenticate(
        _s: object, _sess: object, _env: object, mechanism: str, data: object
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        server.logins.append(data.login.decode())
        return AuthResult(success=data.password == b"s3cret")

    controller = Controller(
        server,
        hostname="127.0.0.1",
        port=server.port,
        tls_context=tls_context(cert, key),
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        trust = ssl.create_default_context(cafile=str(cert))
        trust.check_hostname = False
        mail.config = SmtpConfig(
            host="127.0.0.1",
            port=server.port,
            tls="starttls",
            sender="npm@npm.example.org",
            user="rectrack",
            password="s3cret",
            ssl_context=trust,
        )
        mail.send_once(a_mail())
    finally:
        controller.stop()
    assert server.logins == ["rectrack"]
    assert len(server.received) == 1


def test_the_settings_switch_email_on_and_read_the_password_from_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert SmtpConfig.from_settings(Settings(_env_file=None)) is None  # type: ignore[call-arg]
    secret = tmp_path / "smtp-password"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("RECTRACK_SMTP_HOST", "mail.npm.example.org")
    monkeypatch.setenv("RECTRACK_SMTP_TLS", "ssl")
    monkeypatch.setenv("RECTRACK_SMTP_PASSWORD_FILE", str(secret))
    monkeypatch.setenv("RECTRACK_SMTP_FROM", "registry@npm.example.org")
    config = SmtpConfig.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert config is not None
    assert (config.host, config.port, config.tls, config.password, config.domain) == (
        "mail.npm.example.org",
        465,
        "ssl",
        "from-a-file",
        "npm.example.org",
    )
    monkeypatch.setenv("RECTRACK_SMTP_TLS", "tls")
    with pytest.raises(ValueError, match="smtp_tls"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_users_address_and_language_are_recorded_through_a_command(
    run: Commander, app: Rectrack
) -> None:
    user_id = run(CreateUser(username="hedda", display_name="Hedda Hopper")).aggregate_id
    run(GrantRole(role=Role.CASEWORKER), user_id)
    version = app.get(User, user_id).version
    with pytest.raises(InvalidInput) as refused:
        run(SetUserContact(email="not an address", language=Language.FR), user_id)
    assert refused.value.field == "email"
    assert app.get(User, user_id).version == version  # no event appended
    run(SetUserContact(email="hedda@npm.example.org", language=Language.FR), user_id)
    user = app.get(User, user_id)
    assert (user.email, user.language) == ("hedda@npm.example.org", Language.FR)


class RefusingServer(MailServer):
    """Refuses one address for good (550), as a server does for an unknown mailbox."""

    async def handle_RCPT(
        self, server: object, session: object, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == "nobody@npm.example.org":
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_refused_address_is_not_retried_and_not_recorded(
    mail: MailActivities, app: Rectrack, database_url: str, schema: str
) -> None:
    server = RefusingServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        mail.config = SmtpConfig("127.0.0.1", server.port, "none", "npm@npm.example.org")
        bad = Mail(
            "digest:daily:2030-04-01:nobody",
            "daily_digest",
            ["nobody@npm.example.org"],
            a_mail().rendered,
            DAY,
            [],
            [],
        )
        with pytest.raises(ApplicationError) as refused:
            mail.send_once(bad)
        assert refused.value.non_retryable
        assert "nobody@npm.example.org: 550 5.1.1 no such mailbox" in str(refused.value)
        record = Outbox(database_url, schema).record(bad.key)
        assert record is not None and record["state"] == "reserved"  # nothing delivered
        assert app.find(Email, email_id_for(bad.key)) is None
        mail.send_once(a_mail())  # another address on the same server still works
    finally:
        controller.stop()
    assert [r.recipients for r in server.received] == [["hedda@npm.example.org"]]


def test_one_refused_address_does_not_hold_up_the_other_digests(
    mail: MailActivities,
    run: Commander,
    app: Rectrack,
    settings: Settings,
    database_url: str,
    schema: str,
) -> None:
    for name in ("aude", "nobody"):
        user_id = run(CreateUser(username=name, display_name=name.title())).aggregate_id
        run(GrantRole(role=Role.COMPLIANCE), user_id)
        run(SetUserContact(email=f"{name}@npm.example.org", language=Language.EN), user_id)
    projector = Projector(settings, database_url)  # the views the weekly digest reads
    projector.start()
    try:
        wait_until_caught_up(
            database_url, schema, app.recorder.max_notification_id() or 0, timeout=60
        )
    finally:
        projector.stop()
    server = RefusingServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        mail.config = SmtpConfig("127.0.0.1", server.port, "none", "npm@npm.example.org")
        assert mail.email_weekly_digests(DAY) == 1
    finally:
        controller.stop()
    assert [r.recipients for r in server.received] == [["aude@npm.example.org"]]
