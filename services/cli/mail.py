"""`rectrack mail digest daily|weekly [--day]`: send a digest now, as the worker's timer
would at its hour. The sends are keyed by the day and the user, so a digest sent here is
not sent again by the worker that day, nor twice by running this again (the e-mail's
exactly-once rule, workflows/mail.py)."""

from __future__ import annotations

import argparse
from datetime import date

from services.adapters.documents import DocumentStore
from services.adapters.mail import SmtpConfig
from services.application.runtime import build_runtime


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "mail",
        help="e-mail: send the digests now",
        description="E-mail over SMTP (RECTRACK_SMTP_HOST; off while it is unset).",
    )
    commands = group.add_subparsers(dest="mail_command", required=True, metavar="ACTION")
    digest = commands.add_parser(
        "digest",
        help="send the daily (caseworkers) or weekly (compliance) digest now",
        description="Send a digest now. Each recipient gets it once per day whoever sends "
        "it: this command or the worker at its hour.",
    )
    digest.add_argument("kind", choices=["daily", "weekly"])
    digest.add_argument(
        "--day", type=date.fromisoformat, default=None, help="the digest's day (default: today)"
    )
    digest.set_defaults(handler=_digest)


def _digest(args: argparse.Namespace) -> int:
    from workflows.mail import MailActivities

    runtime = build_runtime()
    try:
        settings = runtime.settings
        config = SmtpConfig.from_settings(settings)
        if config is None:
            print("rectrack mail digest: e-mail is off (set RECTRACK_SMTP_HOST)")
            return 1
        mail = MailActivities(
            runtime.executor,
            config,
            database_url=runtime.database_url,
            schema=settings.database_schema,
            documents=DocumentStore(runtime.database_url, settings.database_schema),
            horizon_days=settings.digest_horizon_days,
            public_url=settings.public_url,
        )
        day = args.day or date.today()
        send = mail.email_daily_digests if args.kind == "daily" else mail.email_weekly_digests
        sent = send(day)
        print(f"{args.kind} digest of {day.isoformat()}: {sent} recipient(s)")
        return 0
    finally:
        runtime.close()
