"""The worker's e-mail activities: a generated letter to its authority's contact address,
the caseworkers' daily digest and compliance staff's weekly digest. Every e-mail is sent
exactly once, by one rule (`send_once`):

1. the EmailSent event is the end of the story: its command id is made of the send key,
   so when the command log has it, nothing is done;
2. otherwise the send record (services/adapters/outbox.py) is taken under the key's lock;
   found `sent`, the server has the message and only the event is missing;
3. otherwise the record moves to `sending` (committed), the message goes to the SMTP
   server with a Message-ID made of the key, and the record to `sent` (committed);
4. then the event is recorded through the executor, with the Message-ID and the number
   of attempts.

A redelivered activity, or one retried after its worker died anywhere after step 3,
sends nothing again. The window left (a crash between the server's acceptance and the
commit of `sent`) and how it is closed are explained in outbox.py.

With e-mail off (no RECTRACK_SMTP_HOST) each activity does nothing and says so."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import psycopg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.authority import Authority
from domain.email import message_id_for
from domain.recommendation import Recommendation
from domain.task import TaskKind
from domain.values import Role
from services.adapters.documents import Documents
from services.adapters.mail import (
    Attachment,
    Outgoing,
    Refused,
    SmtpConfig,
    compose,
    deliver,
)
from services.adapters.metrics import EMAILS
from services.adapters.outbox import SENDING, SENT, Outbox
from services.application.commands.mail import RecordEmailSent
from services.application.commands.tasks import OpenTask
from services.application.executor import Caller, Executor
from workflows.activities import beat
from workflows.digests import Recipient, daily_tasks, recipients, weekly_figures
from workflows.mail_messages import LetterMail
from workflows.mail_render import Rendered, render

log = structlog.get_logger(__name__)

MAIL_SYSTEM = Caller("system:mail", Role.SYSTEM.value)

#: stages at which a test may make the worker "die" (`fault`): after the SMTP server
#: accepted the message, and after the send record says so
DELIVERED, MARKED = "delivered", "marked"
REFUSED = "EmailRefused"  # the ApplicationError type of a send refused for good
TITLE_MAX = 500  # a task's title is a Name (services/application/commands/base.py)


@dataclass(frozen=True)
class Mail:
    key: str
    purpose: str
    recipients: list[str]
    rendered: Rendered
    business_date: date
    about: list[str]
    attachments: list[tuple[str, Attachment]]  # (SHA-256 in the documents store, the file)


class MailActivities:
    def __init__(
        self,
        executor: Executor,
        config: SmtpConfig | None,
        *,
        database_url: str,
        schema: str,
        documents: Documents,
        horizon_days: int = 7,
        public_url: str | None = None,
        fault: Callable[[str, str], None] | None = None,
    ) -> None:
        self.executor = executor
        self.store = executor.store
        self.config = config
        self.database_url = database_url
        self.schema = schema
        self.outbox = Outbox(database_url, schema)
        self.documents = documents
        self.horizon_days = horizon_days
        self.public_url = public_url.rstrip("/") if public_url else None
        self.fault = fault

    # --- the one rule --------------------------------------------------------------------

    def send_once(self, mail: Mail) -> str | None:
        """Sends `mail` unless it was sent; returns its Message-ID (None: e-mail is off)."""
        if self.config is None:
            log.info("e-mail is off (no RECTRACK_SMTP_HOST): not sent", key=mail.key)
            return None
        command_id = f"email:{mail.key}"
        message_id = message_id_for(mail.key, self.config.domain)
        bound = log.bind(
            command_id=command_id,
            key=mail.key,
            message_id=message_id,
            about=mail.about,  # the recommendations (and report) a letter is about
        )
        if self.executor.applied(command_id):
            return message_id
        rendered = mail.rendered
        with self.outbox.attempt(
            mail.key, message_id, mail.purpose, mail.recipients, rendered.subject
        ) as attempt:
            if attempt.state == SENT:
                bound.info("e-mail already accepted by the server: recording it")
                EMAILS.labels(mail.purpose, "recorded").inc()
            else:
                resend = attempt.state == SENDING
                if resend:
                    bound.warning(
                        "an earlier attempt may have reached the server: sending again "
                        "with the same Message-ID",
                        attempts=attempt.attempts,
                    )
                attempt.sending()
                outgoing = Outgoing(
                    recipients=mail.recipients,
                    subject=rendered.subject,
                    text=rendered.text,
                    message_id=message_id,
                    attachments=[file for _, file in mail.attachments],
                    language=rendered.language,
                )
                try:
                    deliver(self.config, compose(self.config, outgoing))
                except Refused as refused:
                    attempt.refused()
                    EMAILS.labels(mail.purpose, "refused").inc()
                    bound.error("the SMTP server refused the e-mail", reason=str(refused))
                    # Not retried: the same message to the same address fails the same way.
                    raise ApplicationError(
                        f"e-mail {mail.key} to {', '.join(mail.recipients)}: {refused}",
                        type=REFUSED,
                        non_retryable=True,
                    ) from refused
                self._fault(DELIVERED, mail.key)
                attempt.sent()
                EMAILS.labels(mail.purpose, "resent" if resend else "sent").inc()
                bound.info("e-mail sent", to=mail.recipients, attempt=attempt.attempts)
            attempts = max(attempt.attempts, 1)
        self._fault(MARKED, mail.key)
        try:
            self.executor.execute(
                RecordEmailSent(
                    key=mail.key,
                    purpose=mail.purpose,
                    message_id=message_id,
                    recipients=mail.recipients,
                    email_subject=rendered.subject[:500],
                    about=mail.about,
                    attachments=[sha for sha, _ in mail.attachments],
                    attempts=attempts,
                ),
                MAIL_SYSTEM,
                command_id=command_id,
                today=mail.business_date,
            )
        except Exception:
            bound.exception("recording a sent e-mail failed")
            raise
        return message_id

    def _fault(self, stage: str, key: str) -> None:
        if self.fault is not None:
            self.fault(stage, key)

    # --- letters -------------------------------------------------------------------------

    @activity.defn
    def email_letter(self, letter: LetterMail) -> str:
        """Sends the letter to its authority's contact address, in the authority's
        language; "" when e-mail is off or the authority has no address."""
        beat(letter.key)
        bound = log.bind(key=letter.key, authority_id=letter.authority_id)
        authority = self.store.get(Authority, UUID(letter.authority_id))
        if not authority.email:
            bound.warning("the authority has no e-mail address: the letter is not e-mailed")
            return ""
        document = self.documents.get(letter.sha256)
        if document is None:
            raise LookupError(f"no document {letter.sha256} in the documents store")
        sender = self.config.sender if self.config else ""
        rendered = render(
            "letter",
            authority.language.value,
            title=letter.title,
            kind=letter.kind,
            due_on=letter.due_on,
            level=letter.level,
            references=self._references(letter.recommendation_ids),
            sender=sender,
        )
        mail = Mail(
            key=letter.key,
            purpose="letter",
            recipients=[authority.email],
            rendered=rendered,
            business_date=letter.business_date,
            about=[*letter.about, letter.authority_id],
            attachments=[
                (
                    letter.sha256,
                    Attachment(letter.filename, document.media_type, document.content),
                )
            ],
        )
        try:
            return self.send_once(mail) or ""
        except ApplicationError as error:
            if error.type != REFUSED:
                raise
            # Refused for good (5xx): a person must reach the authority another way, so the
            # letter becomes a caseworker's task and the workflow ends (nothing to retry).
            self._undelivered(letter, authority.name, str(error.__cause__ or error))
            return ""

    def _undelivered(self, letter: LetterMail, authority_name: str, reason: str) -> None:
        """Opens (once per letter and authority) the task of delivering it by hand."""
        opened_by = f"mail-{letter.key}"
        command_id = f"email:{letter.key}:undelivered"
        if self.executor.applied(command_id):
            return
        # services/application/task_titles.py reads this form back, to say it in the
        # reader's language.
        title = f"The letter to {authority_name} could not be delivered: {reason}"
        today = date.today()
        result = self.executor.execute(
            OpenTask(
                opened_by=opened_by,
                kind=TaskKind.DELIVER_LETTER,
                title=title[:TITLE_MAX],
                role=Role.CASEWORKER,
                due_on=today,
                recommendation_ids=[UUID(r) for r in letter.recommendation_ids],
                workflow_id=letter.workflow_id,
            ),
            MAIL_SYSTEM,
            command_id=command_id,
            today=today,
        )
        log.warning(
            "a letter's e-mail was refused for good: a caseworker's task is open",
            key=letter.key,
            task_id=str(result.aggregate_id),
            reason=reason,
        )

    def _references(self, recommendation_ids: list[str]) -> list[str]:
        """The recommendations' references (NPM-2030-0001), for the cover text."""
        found = []
        for rec_id in recommendation_ids:
            rec = self.store.find(Recommendation, UUID(rec_id))
            if rec is not None and rec.reference:
                found.append(rec.reference)
        return found

    # --- digests -------------------------------------------------------------------------

    @activity.defn
    def email_daily_digests(self, day: date) -> int:
        """Each caseworker with an e-mail address and tasks overdue or due within the
        horizon gets one digest for `day`; returns how many were sent (or found sent)."""
        if self.config is None:
            log.info("e-mail is off: no daily digests", day=day.isoformat())
            return 0
        sent = 0
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            for who in recipients(self.store, conn, self.schema, Role.CASEWORKER):
                beat(who.username)
                tasks = daily_tasks(conn, self.schema, who, day, self.horizon_days)
                if not tasks["overdue"] and not tasks["due"]:
                    continue  # nothing to say: no e-mail
                rendered = render(
                    "daily_digest", who.language, **self._greeting(who), day=day, **tasks
                )
                key = f"digest:daily:{day.isoformat()}:{who.username}"
                mail = Mail(key, "daily_digest", [who.email], rendered, day, [who.user_id], [])
                sent += self._digest_to(mail)
        return sent

    @activity.defn
    def email_weekly_digests(self, day: date) -> int:
        """Each compliance officer with an e-mail address gets the week's figures."""
        if self.config is None:
            log.info("e-mail is off: no weekly digests", day=day.isoformat())
            return 0
        sent = 0
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            figures = weekly_figures(conn, self.schema, day)
            for who in recipients(self.store, conn, self.schema, Role.COMPLIANCE):
                beat(who.username)
                rendered = render(
                    "weekly_digest", who.language, **self._greeting(who), day=day, **figures
                )
                key = f"digest:weekly:{day.isoformat()}:{who.username}"
                mail = Mail(key, "weekly_digest", [who.email], rendered, day, [who.user_id], [])
                sent += self._digest_to(mail)
        return sent

    def _digest_to(self, mail: Mail) -> int:
        """1 once sent; 0 when the server refused the address for good (logged with the
        key): one bad address must not hold up everyone else's digest."""
        try:
            self.send_once(mail)
        except ApplicationError as error:
            if error.type != REFUSED:
                raise
            return 0
        return 1

    def _greeting(self, who: Recipient) -> dict[str, object]:
        inbox = f"{self.public_url}/#/inbox" if self.public_url else None
        sender = self.config.sender if self.config else ""
        return {"name": who.display_name, "sender": sender, "inbox_url": inbox}

    def all(self) -> list[Callable[..., object]]:
        return [self.email_letter, self.email_daily_digests, self.email_weekly_digests]
