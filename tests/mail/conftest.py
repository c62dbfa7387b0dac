"""A real SMTP server in the test process (aiosmtpd), which keeps every message it
accepted, and the worker's mail activities wired to it."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.adapters.documents import DocumentStore
from services.adapters.mail import SmtpConfig
from services.application.executor import Executor
from tests.ports import free_port
from workflows.mail import MailActivities


@dataclass
class Received:
    recipients: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"]).strip()

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())  # type: ignore[attr-defined]


@dataclass
class MailServer:
    """What the server accepted, in order."""

    port: int
    received: list[Received] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        message = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    server = MailServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    yield server
    controller.stop()


@pytest.fixture
def smtp(smtp_server: MailServer) -> SmtpConfig:
    return SmtpConfig(
        host="127.0.0.1", port=smtp_server.port, tls="none", sender="npm@npm.example.org"
    )


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "smtp.crt", folder / "smtp.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
def mail(executor: Executor, smtp: SmtpConfig, database_url: str, schema: str) -> MailActivities:
    return MailActivities(
        executor,
        smtp,
        database_url=database_url,
        schema=schema,
        documents=DocumentStore(database_url, schema),
        horizon_days=7,
        public_url="https://rectrack.npm.example.org",
    )


class Faults:
    """Makes the worker "die" once at a stage of a send (workflows/mail.py DELIVERED,
    MARKED): the activity raises there, as a killed worker's would never finish."""

    def __init__(self, stage: str, times: int = 1) -> None:
        self.stage = stage
        self.left = times
        self.hit: list[str] = []

    def __call__(self, stage: str, key: str) -> None:
        if stage == self.stage and self.left > 0:
            self.left -= 1
            self.hit.append(key)
            raise RuntimeError(f"worker killed at {stage} of {key}")


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


# The time-skipping Temporal server, shared with the deadline tests.
from tests.workflows.conftest import skipping  # noqa: E402,F401
