"""One line for people about each event of a recommendation's history (and of the tasks
opened for it, the report's letters about it and their e-mails): who did what, to whom,
where, and why. The API's history, the web UI (which shows the API's `summary`) and
exports all take their lines from `summaries()`, so a record reads the same wherever it
is read.

Names, never ids: the actor's display name (users are looked up; system actors get a
readable name such as "the deadline workflow"), the authority, place and report by
name. A workflow's decision says the rule that fired ("Reply due 2024-02-19 missed;
ladder level 2: letter to the minister"), never the workflow's id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from domain.authority import Authority
from domain.email import Email
from domain.place import Place
from domain.recommendation import Recommendation
from domain.report import Report
from domain.task import Task
from domain.user import User
from domain.values import EventMeta
from services.application.store import Rectrack

_EMAIL: Any = Email  # its event classes are made at import, out of the type checker's sight

SYSTEM_ACTORS: dict[str, str] = {
    "system:deadline-workflow": "the deadline workflow",
    "rectrack-up": "rectrack (at start-up)",
    "importer": "the spreadsheet import",
    "system:mail": "the e-mail service",
}
"""Readable names of the actors that are not people."""

LETTER_KINDS = {
    "transmittal": "transmittal of the report",
    "reminder": "reminder before the reply is due",
    "deadline_missed": "reply deadline missed",
    "escalation": "escalation",
}
LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "ru": "Russian"}

_KINDS = {
    "visit": "visit recommendation",
    "thematic": "thematic recommendation",
    "urgent": "urgent recommendation",
    "annual_report": "annual-report recommendation",
    "preliminary_observation": "preliminary observation",
}


def _words(value: object) -> str:
    return str(value).replace("_", " ")


def _day(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


class Names:
    """Display names for ids, looked up in the store once each."""

    def __init__(self, store: Rectrack) -> None:
        self.store = store
        self._cache: dict[tuple[str, str], str | None] = {}

    def _name(
        self, cls: type[Any], key: object, describe: Callable[[Any], str], unknown: str
    ) -> str:
        """What `describe` says of the aggregate, or `unknown` when there is none."""
        cached = (cls.__name__, str(key))
        if cached not in self._cache:
            found = self._aggregate(cls, key)
            self._cache[cached] = describe(found) if found is not None else None
        return self._cache[cached] or unknown

    def _aggregate(self, cls: type[Any], key: object) -> Any:
        try:
            return self.store.find(cls, key if isinstance(key, UUID) else UUID(str(key)))
        except ValueError:
            return None

    def actor(self, actor_id: str | None) -> str:
        if not actor_id:
            return "someone unrecorded"
        if actor_id in SYSTEM_ACTORS:
            return SYSTEM_ACTORS[actor_id]
        if actor_id.startswith("system:"):
            return "the " + _words(actor_id.removeprefix("system:")).replace("-", " ")
        if actor_id.startswith("cli:"):
            return f"{actor_id.removeprefix('cli:')} (command line)"
        return self._name(User, actor_id, lambda u: u.display_name, "a user no longer on record")

    def authority(self, authority_id: object) -> str:
        return self._name(Authority, authority_id, lambda a: a.name, "an unknown authority")

    def place(self, place_id: object) -> str:
        return self._name(Place, place_id, lambda p: p.name, "an unknown place")

    def report(self, report_id: object) -> str:
        return self._name(Report, report_id, lambda r: r.title, "an unknown report")

    def recommendation(self, recommendation_id: object) -> str:
        return self._name(
            Recommendation,
            recommendation_id,
            lambda r: r.reference or f"the one drafted on {r.drafted_on.isoformat()}",
            "an unknown recommendation",
        )


@dataclass
class _Story:
    """What earlier events said that a later one's line needs."""

    authority: str = "the authority"
    missed: str | None = None  # "Reply due 2024-02-19 missed"
    extra: dict[str, Any] = field(default_factory=dict)


SOURCES = {
    "npm": "the NPM",
    "spt": "the SPT",
    "cpt": "the CPT",
    "cat": "CAT",
    "ccpr": "the Human Rights Committee",
    "upr": "the Universal Periodic Review",
    "special_procedures": "a special procedure",
    "inspectorate": "an inspectorate",
    "accident_investigation": "an accident investigation",
    "other": "another body",
}


def origin_words(origin: dict[str, Any]) -> str:
    """ "; from the UPR (4th cycle, 43rd session), recommended by France and Chile; SDG
    16.3": the origin as words to end a line with ("" when nothing is recorded)."""
    parts = []
    when = ", ".join(f"{key} {origin[key]}" for key in ("cycle", "session") if origin.get(key))
    if origin.get("source"):
        source = SOURCES.get(origin["source"], str(origin["source"]).upper())
        parts.append(f"from {source}" + (f" ({when})" if when else ""))
    elif when:
        parts.append(when)
    bodies = origin.get("recommending_bodies") or []
    if bodies:
        parts.append("recommended by " + _and(bodies))
    if origin.get("sdgs"):
        parts.append("SDG " + ", ".join(origin["sdgs"]))
    return "; " + "; ".join(parts) if parts else ""


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _name_of(event: Any) -> str:
    return type(event).__qualname__.rpartition(".")[2]


def _recommendation_line(event: Any, who: str, story: _Story, names: Names) -> str:
    name = _name_of(event)
    d = vars(event)
    if name == "Drafted":
        story.authority = names.authority(d["authority_id"])
        kind = _KINDS.get(d["kind"], _words(d["kind"]))
        article = "an" if kind[0] in "aeiou" else "a"
        reference = f"{d['reference']}, " if d.get("reference") else ""
        line = f"{who} drafted {reference}{article} {kind} to {story.authority}"
        if d.get("place_id"):
            line += f" about {names.place(d['place_id'])}"
        if d.get("report_id"):
            line += f", in the report \u201c{names.report(d['report_id'])}\u201d"
        if d.get("external_id"):
            line += f" (source id {d['external_id']})"
        if d.get("historic_before"):
            line += f", imported on {_day(d['historic_before'])} as a historic record"
        return line + origin_words(d.get("origin") or {})
    if name == "DoubleSmartReviewRecorded":
        criteria = d["criteria"]
        met = sum(1 for v in criteria.values() if v)
        return f"{who} recorded the Double-SMART review: {met} of {len(criteria)} criteria met"
    if name == "Reformulated":
        return f"{who} reworded it"
    if name == "Reiterated":
        return f"{who} marked it as repeating {names.recommendation(d['earlier_id'])}"
    if name == "Issued":
        due = d.get("reply_due")
        when = f"reply due {_day(due)}" if due else "reply due once the report is sent"
        return f"{who} issued it to {story.authority} on {_day(d['issued_on'])}; {when}"
    if name == "ReplyClockStarted":
        return (
            f"The report reached {story.authority} on {_day(d['started_on'])}; "
            f"reply due {_day(d['reply_due'])}"
        )
    if name == "ResponseReceived":
        position = _words(d["position"]) if d.get("position") else "no position yet"
        line = (
            f"{who} recorded the reply of {story.authority} received "
            f"{_day(d['received_on'])}: {position}"
        )
        if d.get("agreed_implementation_date"):
            line += f", to be implemented by {_day(d['agreed_implementation_date'])}"
        return line
    if name == "ReplyDeadlineExtended":
        return (
            f"{who} extended the reply deadline from {_day(d['previous_due'])} "
            f"to {_day(d['new_due'])}"
        )
    if name == "FollowUpRecorded":
        return f"{who} recorded a follow-up ({_words(d['kind'])}): {d['summary']}"
    if name == "ImplementationAssessed":
        line = f"{who} assessed the implementation: {_words(d['status'])}"
        if d.get("reason"):
            line += f" (why not: {_words(d['reason'])})"
        if d.get("verified"):
            line += f", verified by {d.get('verification_method')}"
        return line
    if name == "ImplementationVerified":
        return f"{who} verified the implementation: {d['method']}"
    if name == "StakeholderMapped":
        return (
            f"{who} mapped {d['actor']} as a stakeholder (power {d['power']}, "
            f"interest {d['interest']})"
        )
    if name == "TagsChanged":
        themes = ", ".join((d.get("tags") or {}).get("themes") or []) or "none"
        return f"{who} changed the tags (themes: {themes})"
    if name == "ReplyReminderSent":
        return f"{who.capitalize()} sent a reminder: reply due {_day(d['due_on'])}"
    if name == "ReplyDeadlineMissed":
        story.missed = f"Reply due {_day(d['due_on'])} missed"
        return f"{story.missed} (noted by {who})"
    if name == "ImplementationOverdue":
        story.missed = f"Implementation agreed for {_day(d['due_on'])} overdue"
        return f"{story.missed} (noted by {who})"
    if name == "Escalated":
        rule = f"ladder level {d['level']}: {d['action']} to {d['addressee']}"
        return f"{story.missed}; {rule}" if story.missed else rule[0].upper() + rule[1:]
    if name == "Withdrawn":
        return f"{who} withdrew it"
    if name == "Closed":
        return f"{who} closed it"
    if name == "EvidenceAttached":
        doc = d["document"]
        part = _words(doc["supports"])
        part += f" {doc['index'] + 1}" if doc.get("index") is not None else ""
        return f"{who} attached \u201c{doc['filename']}\u201d as evidence for the {part}"
    if name == "CommentAdded":
        return f"{who} commented: {d['text']}"
    if name == "OriginRecorded":
        line = f"{who} changed its origin{origin_words(d['origin'])}"
        return line + (f" (source id {d['external_id']})" if d.get("external_id") else "")
    if name == "LetterGenerated":
        letter = d["letter"]
        kind = LETTER_KINDS.get(letter["kind"], _words(letter["kind"]).lower())
        level = f", level {letter['level']}" if letter.get("level") else ""
        language = LANGUAGE_NAMES.get(letter["language"], letter["language"])
        return f"{who.capitalize()} wrote the letter \u201c{kind}{level}\u201d, in {language}"
    if name == "Published":
        return f"{who} published it in the public register"
    return f"{who}: {_words(name).lower()}"


def _email_line(event: Any, who: str) -> str:
    """An e-mail sent (domain/email.py): what, to whom; a resend after a crash said so."""
    line = f"{who} e-mailed \u201c{event.subject}\u201d to {_and(list(event.recipients))}"
    if event.attempts > 1:
        line += f" (sent {event.attempts} times, with the same Message-ID, after a restart)"
    return line


def _task_line(event: Any, who: str, task: Task, names: Names) -> str:
    name = _name_of(event)
    d = vars(event)
    title = f"the task \u201c{task.title}\u201d"
    if name == "Opened":
        return f"{who.capitalize()} opened {title} for {_words(d['role'])}, due {_day(d['due_on'])}"
    if name == "Claimed":
        return f"{names.actor(d['assignee'])} took {title}"
    if name == "Reassigned":
        return f"{who} gave {title} to {names.actor(d['assignee'])}"
    if name == "Completed":
        line = f"{names.actor(d['completed_by'])} completed {title}: {d['outcome']}"
        return line + (f". Note: {d['note']}" if d.get("note") else "")
    if name == "Cancelled":
        return f"{who} cancelled {title}"
    return f"{who}: {_words(name).lower()} {title}"


def _sentence(line: str, meta: EventMeta | None) -> str:
    line = line[0].upper() + line[1:] if line else line
    reason = meta.reason if meta is not None else None
    if reason and reason.strip():
        line += f". Reason: {reason.strip()}"
    return line if line.endswith((".", "!", "?")) else line + "."


def summaries(events: Iterable[Any], names: Names, task: Task | None = None) -> list[str]:
    """One line per event, in the order given (a recommendation's events in recording
    order; or one task's events, with the task)."""
    story = _Story()
    lines = []
    for event in events:
        meta = getattr(event, "meta", None)
        meta = meta if isinstance(meta, EventMeta) else None
        who = names.actor(meta.actor_id if meta else None)
        if task is not None:
            line = _task_line(event, who, task, names)
        elif isinstance(event, _EMAIL.Sent):
            line = _email_line(event, who)
        else:
            line = _recommendation_line(event, who, story, names)
        lines.append(_sentence(line, meta))
    return lines
