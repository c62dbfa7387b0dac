"""What the e-mail's workflows are given (workflows/mail_workflows.py): the plan of a
digest and a letter to send. Kept apart from the workflows and passed through their
sandbox, as workflows/messages.py is, so `date` fields are the real `datetime.date` the
converter (workflows/converter.py) decodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class DigestKind(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"


ACTIVITY = {DigestKind.DAILY: "email_daily_digests", DigestKind.WEEKLY: "email_weekly_digests"}


@dataclass(frozen=True)
class DigestPlan:
    kind: DigestKind
    hour: int  # UTC
    weekday: int = 0  # weekly only; 0 is Monday


def next_run(now: datetime, plan: DigestPlan) -> datetime:
    """The first moment after `now` at the plan's hour (and weekday)."""
    at = now.replace(hour=plan.hour, minute=0, second=0, microsecond=0)
    if plan.kind == DigestKind.WEEKLY:
        at += timedelta(days=(plan.weekday - at.weekday()) % 7)
    if at <= now:
        at += timedelta(days=7 if plan.kind == DigestKind.WEEKLY else 1)
    return at


@dataclass(frozen=True)
class LetterMail:
    """A generated letter (a document in the store, by SHA-256) for an authority."""

    authority_id: str
    sha256: str
    filename: str
    title: str
    business_date: date
    media_type: str = "application/pdf"
    about: list[str] = field(default_factory=list)  # recommendation and report ids
    references: list[str] = field(default_factory=list)  # the recommendations' references

    @property
    def key(self) -> str:
        return f"letter:{self.sha256}:{self.authority_id}"

    @property
    def workflow_id(self) -> str:
        return f"mail-{self.key}"
