"""The e-mail's pure rules (fast: no database, no server): when a digest is next due,
that every template renders in every language, the Message-ID made of the send key, and
what an e-mail record refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from domain.email import LANGUAGES, Email, check_key, message_id_for
from domain.errors import InvalidInput
from domain.values import EventMeta
from workflows.mail_messages import DigestKind, DigestPlan, next_run
from workflows.mail_render import PURPOSES, render_sample

DAILY = DigestPlan(DigestKind.DAILY, 6)
WEEKLY = DigestPlan(DigestKind.WEEKLY, 7, weekday=4)  # Fridays


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2030, 4, day, hour, minute, tzinfo=UTC)  # 1 April 2030 is a Monday


@pytest.mark.parametrize(
    ("plan", "now", "due"),
    [
        (DAILY, at(1, 5, 59), at(1, 6)),
        (DAILY, at(1, 6), at(2, 6)),  # at the hour: the next day's
        (DAILY, at(1, 23), at(2, 6)),
        (WEEKLY, at(1, 8), at(5, 7)),
        (WEEKLY, at(5, 6), at(5, 7)),
        (WEEKLY, at(5, 7, 1), at(12, 7)),
    ],
)
def test_the_next_digest_is_due_at_its_hour_and_weekday(
    plan: DigestPlan, now: datetime, due: datetime
) -> None:
    assert next_run(now, plan) == due


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_template_renders_in_every_language(purpose: str, language: str) -> None:
    rendered = render_sample(purpose, language)
    assert rendered.language == language
    assert rendered.subject and "{" not in rendered.subject
    assert rendered.text.strip() and "{{" not in rendered.text and "{%" not in rendered.text
    if purpose == "daily_digest":
        assert "NPM-2030-0001" in rendered.text and "2030" in rendered.subject
    if language != "en":  # written in the language, not left in English
        english = render_sample(purpose, "en")
        assert rendered.text.splitlines()[0] != english.text.splitlines()[0]


def test_the_message_id_is_made_of_the_key() -> None:
    one = message_id_for("digest:daily:2030-04-01:hedda", "npm.example.org")
    assert one == message_id_for("digest:daily:2030-04-01:hedda", "npm.example.org")
    assert one != message_id_for("digest:daily:2030-04-02:hedda", "npm.example.org")
    assert one.startswith("<rectrack.") and one.endswith("@npm.example.org>")


def meta() -> EventMeta:
    return EventMeta("system:mail", "system", date(2030, 4, 1), "email:x")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipients": []}, "recipients"),
        ({"recipients": ["not an address"]}, "recipients"),
        ({"message_id": "no-brackets@x"}, "message_id"),
        ({"key": "no key"}, "key"),
        ({"attempts": 0}, "attempts"),
    ],
)
def test_an_email_record_refuses_bad_values_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "key": "letter:ab:cd",
        "purpose": "letter",
        "message_id": "<rectrack.1@npm.example.org>",
        "recipients": ["registry@justice.example"],
        "subject": "Transmittal",
        "about": [],
        "attachments": [],
        "attempts": 1,
    }
    with pytest.raises(InvalidInput) as refused:
        Email(meta=meta(), **{**values, **change})  # type: ignore[arg-type]
    assert refused.value.field == field


def test_keys_name_a_purpose_and_a_business_id() -> None:
    assert check_key("digest:weekly:2030-04-01:aude") == "digest:weekly:2030-04-01:aude"
    for bad in ("digest", ":x", "Digest:x", "digest:a b"):
        with pytest.raises(InvalidInput):
            check_key(bad)
