"""E-mails written from Jinja2 templates (workflows/mail_templates), one file per purpose
and language (`daily_digest.fr.txt`): the first line is the subject (`Subject: ...`), the
rest the body. Dates are written the way the reader's language writes them (Babel), and a
language we have no template for falls back to English."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from domain.email import LANGUAGES

TEMPLATES = Path(__file__).with_name("mail_templates")
PURPOSES = ("daily_digest", "weekly_digest", "letter")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    language: str


def _environment(language: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # plain text: nothing here is read as HTML
    )
    env.filters["date"] = lambda day: format_date(day, format="medium", locale=language)
    env.filters["longdate"] = lambda day: format_date(day, format="long", locale=language)
    return env


def render(purpose: str, language: str, **context: Any) -> Rendered:
    if purpose not in PURPOSES:
        raise ValueError(f"no e-mail template for {purpose!r}")
    language = language if language in LANGUAGES else "en"
    template = _environment(language).get_template(f"{purpose}.{language}.txt")
    head, _, body = template.render(**context).partition("\n")
    if not head.startswith("Subject: "):
        raise ValueError(f"{purpose}.{language}.txt must start with 'Subject: '")
    return Rendered(head.removeprefix("Subject: ").strip(), body.lstrip("\n"), language)


def render_sample(purpose: str, language: str) -> Rendered:
    """Each template with made-up values (for the test that every language renders)."""
    day = date(2030, 4, 1)
    task = {
        "title": "Send the reminder letter",
        "kind": "send_reminder",
        "reference": "NPM-2030-0001",
        "authority": "Ministry of Justice",
        "due_on": date(2030, 3, 25),
        "days_overdue": 7,
    }
    rec = {"reference": "NPM-2030-0002", "text": "", "authority": "Prison Service"}
    return render(
        purpose,
        language,
        name="Hedda",
        sender="npm@example.org",
        day=day,
        until=day,
        since=date(2030, 3, 25),
        overdue=[task],
        due=[task],
        unclaimed=2,
        inbox_url="https://rectrack.example.org/#/inbox",
        counts={
            "awaiting": 4,
            "overdue_replies": 1,
            "overdue_implementation": 0,
            "open_tasks": 3,
            "overdue_tasks": 1,
        },
        overdue_replies=[{**rec, "due_on": date(2030, 3, 1)}],
        more_overdue=0,
        escalations=[
            {
                **rec,
                "on": date(2030, 3, 28),
                "level": 1,
                "action": "letter",
                "addressee": "ministry",
            }
        ],
        title="",
        kind="reminder",
        due_on=date(2030, 4, 15),
        level=None,
        references=["NPM-2030-0001"],
    )
