"""The operator's e-mail commands: `rectrack users contact` records a user's address and
language (a bad address is refused on stderr, nothing appended); `rectrack mail digest`
sends a digest now, once per day and user however often it is run; with e-mail off it
says so."""

from __future__ import annotations

import pytest

from domain.user import User, user_id_for
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from services.adapters.settings import Settings
from services.application.store import Rectrack
from services.cli import main
from tests.mail.conftest import MailServer


@pytest.fixture(autouse=True)
def cli_environment(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, smtp_server: MailServer
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("RECTRACK_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("RECTRACK_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("RECTRACK_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("RECTRACK_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("RECTRACK_SMTP_TLS", "none")
    monkeypatch.setenv("RECTRACK_SMTP_FROM", "npm@npm.example.org")


def test_contact_and_a_weekly_digest_sent_now_once(
    app: Rectrack,
    settings: Settings,
    database_url: str,
    schema: str,
    smtp_server: MailServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["users", "add", "aude", "--name", "Aude", "--role", "compliance"]) == 0
    version = app.get(User, user_id_for("aude")).version
    assert main(["users", "contact", "aude", "--email", "aude at npm"]) == 1
    assert "email" in capsys.readouterr().err
    assert app.get(User, user_id_for("aude")).version == version
    contact = ["users", "contact", "aude", "--email", "aude@npm.example.org", "--language", "ru"]
    assert main(contact) == 0
    assert main(["users", "show", "aude"]) == 0
    assert "e-mail: aude@npm.example.org (ru)" in capsys.readouterr().out

    projector = Projector(settings, database_url)  # the views the digest reads
    projector.start()
    try:
        last = app.recorder.max_notification_id() or 0
        wait_until_caught_up(database_url, schema, last, timeout=60)
    finally:
        projector.stop()
    for _ in range(2):
        assert main(["mail", "digest", "weekly", "--day", "2030-04-01"]) == 0
    assert "weekly digest of 2030-04-01: 1 recipient(s)" in capsys.readouterr().out
    (received,) = smtp_server.received
    assert received.recipients == ["aude@npm.example.org"]
    assert received.message["Subject"].startswith("Неделя по 1 апреля 2030")

    monkeypatch.delenv("RECTRACK_SMTP_HOST")
    assert main(["mail", "digest", "daily"]) == 1
    assert "e-mail is off" in capsys.readouterr().out
