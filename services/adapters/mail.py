"""Sending e-mail over SMTP (issue #14), optional by setting: with no RECTRACK_SMTP_HOST
there is no mailer and nothing is sent.

This module only speaks SMTP: it composes a message with the Message-ID it is given and
hands it to the server. Sending exactly once is the caller's business (the send record
in services/adapters/outbox.py, the EmailSent event in workflows/mail.py); all of it runs
in the worker's activities, never in a workflow."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import structlog

from services.adapters.settings import Settings

log = structlog.get_logger(__name__)

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: str
    sender: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    #: for a test server's self-signed certificate; None: the system's trust store
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig | None:
        """The SMTP server the settings name, or None: e-mail is off."""
        if not settings.smtp_host:
            return None
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port or DEFAULT_PORTS[settings.smtp_tls],
            tls=settings.smtp_tls,
            sender=settings.smtp_from,
            user=settings.smtp_user,
            password=password,
            timeout=settings.smtp_timeout_seconds,
        )

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID we make."""
        return self.sender.rpartition("@")[2] or "localhost"


@dataclass(frozen=True)
class Attachment:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class Outgoing:
    recipients: list[str]
    subject: str
    text: str
    message_id: str
    html: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    language: str = "en"


def compose(config: SmtpConfig, mail: Outgoing) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = ", ".join(mail.recipients)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = mail.message_id or make_msgid(domain=config.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(mail.text)
    if mail.html is not None:
        message.add_alternative(mail.html, subtype="html")
    for attachment in mail.attachments:
        main, _, sub = attachment.media_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=main or "application",
            subtype=sub or "octet-stream",
            filename=attachment.filename,
        )
    # last: setting the content replaces the Content-* headers set before it
    message["Content-Language"] = mail.language
    return message


class Refused(Exception):
    """The SMTP server refused the message for good (a 5xx answer): retrying the same
    message cannot help; a person must fix the address or the server's settings."""


def deliver(config: SmtpConfig, message: EmailMessage) -> None:
    """Hands the message to the server; returns once the server accepted it for every
    recipient (smtplib raises otherwise, and nothing counts as sent)."""
    context = config.ssl_context or ssl.create_default_context()
    smtp: smtplib.SMTP
    if config.tls == "ssl":
        smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
    try:
        with smtp:
            if config.tls == "starttls":
                smtp.starttls(context=context)
            if config.user:
                smtp.login(config.user, config.password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        answers = "; ".join(
            f"{to}: {code} {reply.decode(errors='replace')}"
            for to, (code, reply) in error.recipients.items()
        )
        raise Refused(f"every recipient was refused ({answers})") from error
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            reply = (
                error.smtp_error.decode(errors="replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            raise Refused(f"the SMTP server refused it: {error.smtp_code} {reply}") from error
        raise  # 4xx: a temporary failure, retried
    if refused:
        # Some recipients accepted, some not: the accepted ones have it, so this counts
        # as sent; the refused ones are named in the log for a person to follow up.
        log.warning(
            "the SMTP server refused some recipients",
            message_id=message["Message-ID"],
            refused=sorted(refused),
        )
