"""The record of an e-mail rectrack sent: a letter to an authority's contact address, a
caseworker's daily digest, compliance staff's weekly digest.

One Email per send key (the business id and the purpose, e.g.
`letter:<sha256>:<authority id>` or `digest:daily:2030-04-01:hedda`), its id derived from
the key, so a second record of the same send collides at version 1 and the audit holds
each e-mail once. The event keeps the Message-ID the SMTP server was given, derived from
the key as well: a resend after a crash carries the same Message-ID, which is how the
receiving side recognises it (services/adapters/outbox.py explains the window)."""

from __future__ import annotations

import hashlib
import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import EventMeta, Language

ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z0-9-]{2,63}$")
KEY = re.compile(r"^[a-z][a-z0-9_-]*(:[A-Za-z0-9_.@+-]+)+$")
LANGUAGES = tuple(language.value for language in Language)


def email_id_for(key: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"rectrack:email:{key}")


def message_id_for(key: str, domain: str) -> str:
    """The Message-ID header of the e-mail sent under `key`: the same on every attempt."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]
    return f"<rectrack.{digest}@{domain}>"


def check_address(field: str, address: str) -> str:
    address = address.strip()
    if not ADDRESS.fullmatch(address):
        raise InvalidInput(field, "must be an e-mail address such as name@example.org")
    return address


def check_key(key: str) -> str:
    if len(key) > 500 or not KEY.fullmatch(key):
        raise InvalidInput(
            "key", "must be '<purpose>:<business id>[:...]' (letters, digits, '_.@+-')"
        )
    return key


class Email(Aggregate):
    @staticmethod
    def create_id(key: str, **_: object) -> UUID:
        return email_id_for(key)

    @event("Sent")
    def __init__(
        self,
        meta: EventMeta,
        key: str,
        purpose: str,
        message_id: str,
        recipients: list[str],
        subject: str,
        about: list[str],
        attachments: list[str],
        attempts: int,
    ) -> None:
        check_key(key)
        if not recipients:
            raise InvalidInput("recipients", "an e-mail goes to one address at least")
        for address in recipients:
            check_address("recipients", address)
        if not message_id.startswith("<") or not message_id.endswith(">"):
            raise InvalidInput("message_id", "must be a Message-ID in angle brackets")
        if attempts < 1:
            raise InvalidInput("attempts", "a sent e-mail took one attempt at least")
        self.key = key
        self.purpose = purpose
        self.message_id = message_id
        self.recipients = list(recipients)
        self.subject = subject
        #: the ids of what the e-mail is about (recommendations, report, authority, user)
        self.about = list(about)
        #: SHA-256 of each attached document (services/adapters/documents.py)
        self.attachments = list(attachments)
        self.attempts = attempts
        self.sent_on = meta.business_date
