"""The e-mail's command: record that an e-mail was accepted by the SMTP server, with the
Message-ID it carried. Only the worker's mail activities run it (workflows/mail.py), after
the send; its command id is made of the send key, so a retry records nothing twice."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import Field, StringConstraints

from services.application.commands.base import Command, Name, NoNul

Key = Annotated[str, StringConstraints(min_length=3, max_length=500), NoNul]


class RecordEmailSent(Command):
    subject: ClassVar[str] = "email_id"
    key: Key
    purpose: Name
    message_id: Annotated[str, StringConstraints(min_length=3, max_length=300), NoNul]
    recipients: list[Annotated[str, StringConstraints(max_length=320), NoNul]] = Field(
        min_length=1, max_length=50
    )
    email_subject: Annotated[str, StringConstraints(max_length=500), NoNul]
    about: list[Annotated[str, StringConstraints(max_length=100), NoNul]] = Field(
        default_factory=list, max_length=10_000
    )
    attachments: list[Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list, max_length=20
    )
    attempts: int = Field(default=1, ge=1, le=1000)
