"""Handler of the e-mail's command."""

from __future__ import annotations

from domain.email import Email
from services.application.commands.mail import RecordEmailSent
from services.application.handlers.table import Context, handles


@handles(RecordEmailSent)
def record_email_sent(ctx: Context, c: RecordEmailSent) -> Email:
    return Email(
        meta=ctx.meta,
        key=c.key,
        purpose=c.purpose,
        message_id=c.message_id,
        recipients=list(c.recipients),
        subject=c.email_subject,
        about=list(c.about),
        attachments=list(c.attachments),
        attempts=c.attempts,
    )
