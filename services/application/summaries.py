"""One line for people about each event of a recommendation's history (and of the tasks
opened for it, the report's letters about it and their e-mails): who did what, to whom,
where, and why. The API's history, the web UI (which shows the API's `summary`) and
exports all take their lines from `summaries()`, so a record reads the same wherever it
is read.

Names, never ids: the actor's display name (users are looked up; system actors get a
readable name such as "the deadline workflow"), the authority, place and report by
name. A workflow's decision says the rule that fired ("Reply due 2024-02-19 missed;
ladder level 2: letter to the minister"), never the workflow's id.

Every sentence and fragment is a msgid said through the `Say` that `Names` carries
(services/application/wording.py), so the API writes them in the caller's language; the
events hold values only.
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
from services.application.wording import Say, english


def msgid(text: str) -> str:
    """Marks a table's msgid for the catalogs' test; said later through `say(...)`."""
    return text


_EMAIL: Any = Email  # its event classes are made at import, out of the type checker's sight

SYSTEM_ACTORS: dict[str, str] = {
    "system:deadline-workflow": msgid("the deadline workflow"),
    "rectrack-up": msgid("rectrack (at start-up)"),
    "importer": msgid("the spreadsheet import"),
    "system:mail": msgid("the e-mail service"),
}
"""Readable names of the actors that are not people."""

LETTER_KINDS = {
    "transmittal": msgid("transmittal of the report"),
    "reminder": msgid("reminder before the reply is due"),
    "deadline_missed": msgid("reply deadline missed"),
    "escalation": msgid("escalation"),
    "implementation_overdue": msgid("implementation overdue"),
}
LANGUAGE_NAMES = {
    "en": msgid("English"),
    "fr": msgid("French"),
    "es": msgid("Spanish"),
    "ru": msgid("Russian"),
}

_KINDS = {
    "visit": msgid("a visit recommendation"),
    "thematic": msgid("a thematic recommendation"),
    "urgent": msgid("an urgent recommendation"),
    "annual_report": msgid("an annual-report recommendation"),
    "preliminary_observation": msgid("a preliminary observation"),
}


def _words(value: object, say: Say = english) -> str:
    """A domain value (a position, a status, a kind) as words: the web UI's catalog has
    them by the value with spaces (services/web/static/core.js VALUE_WORDS)."""
    return say(str(value).replace("_", " "))


def _day(value: object) -> object:
    return value if isinstance(value, date) else str(value)


class Names:
    """Display names for ids, looked up in the store once each; `say` writes the
    sentences (English unless the caller's language is given)."""

    def __init__(
        self, store: Rectrack, say: Say = english, title: Callable[[str], str] = str
    ) -> None:
        self.store = store
        self.say = say
        #: a task's stored title as the reader reads it (services/application/task_titles.py)
        self.title = title
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
        say = self.say
        if not actor_id:
            return say("someone unrecorded")
        if actor_id in SYSTEM_ACTORS:
            return say(SYSTEM_ACTORS[actor_id])
        if actor_id.startswith("system:"):
            name = actor_id.removeprefix("system:").replace("_", " ").replace("-", " ")
            return say("the {name}", name=name)
        if actor_id.startswith("cli:"):
            return say("{name} (command line)", name=actor_id.removeprefix("cli:"))
        unknown = say("a user no longer on record")
        return self._name(User, actor_id, lambda u: u.display_name, unknown)

    def authority(self, authority_id: object) -> str:
        unknown = self.say("an unknown authority")
        return self._name(Authority, authority_id, lambda a: a.name, unknown)

    def place(self, place_id: object) -> str:
        return self._name(Place, place_id, lambda p: p.name, self.say("an unknown place"))

    def report(self, report_id: object) -> str:
        return self._name(Report, report_id, lambda r: r.title, self.say("an unknown report"))

    def recommendation(self, recommendation_id: object) -> str:
        return self._name(
            Recommendation,
            recommendation_id,
            lambda r: r.reference or self.say("the one drafted on {date}", date=r.drafted_on),
            self.say("an unknown recommendation"),
        )


@dataclass
class _Story:
    """What earlier events said that a later one's line needs."""

    authority: str = ""
    missed: str | None = None  # "Reply due 2024-02-19 missed"
    extra: dict[str, Any] = field(default_factory=dict)


SOURCES = {
    "npm": msgid("the NPM"),
    "spt": msgid("the SPT"),
    "cpt": msgid("the CPT"),
    "cat": msgid("CAT"),
    "ccpr": msgid("the Human Rights Committee"),
    "upr": msgid("the Universal Periodic Review"),
    "special_procedures": msgid("a special procedure"),
    "inspectorate": msgid("an inspectorate"),
    "accident_investigation": msgid("an accident investigation"),
    "other": msgid("another body"),
}


def origin_words(origin: dict[str, Any], say: Say = english) -> str:
    """ "; from the UPR (4th cycle, 43rd session), recommended by France and Chile; SDG
    16.3": the origin as words to end a line with ("" when nothing is recorded)."""
    parts = []
    when = ", ".join(
        say("cycle {cycle}", cycle=origin["cycle"])
        if key == "cycle"
        else say("session {session}", session=origin["session"])
        for key in ("cycle", "session")
        if origin.get(key)
    )
    if origin.get("source"):
        found = SOURCES.get(origin["source"])
        source = say(found) if found else str(origin["source"]).upper()
        if when:
            parts.append(say("from {source} ({when})", source=source, when=when))
        else:
            parts.append(say("from {source}", source=source))
    elif when:
        parts.append(when)
    bodies = origin.get("recommending_bodies") or []
    if bodies:
        parts.append(say("recommended by {names}", names=_and(bodies, say)))
    if origin.get("sdgs"):
        parts.append(say("SDG {goals}", goals=", ".join(origin["sdgs"])))
    return "; " + "; ".join(parts) if parts else ""


def _and(names: list[str], say: Say) -> str:
    if len(names) == 1:
        return names[0]
    return say("{first} and {last}", first=", ".join(names[:-1]), last=names[-1])


def _name_of(event: Any) -> str:
    return type(event).__qualname__.rpartition(".")[2]


def _drafted_line(d: dict[str, Any], who: str, story: _Story, names: Names) -> str:
    say = names.say
    story.authority = names.authority(d["authority_id"])
    found = _KINDS.get(d["kind"])
    kind = say(found) if found else _words(d["kind"], say)
    if d.get("reference"):
        line = say(
            "{who} drafted {reference}, {kind} to {authority}",
            who=who,
            reference=d["reference"],
            kind=kind,
            authority=story.authority,
        )
    else:
        line = say(
            "{who} drafted {kind} to {authority}", who=who, kind=kind, authority=story.authority
        )
    if d.get("place_id"):
        line = say("{line} about {place}", line=line, place=names.place(d["place_id"]))
    if d.get("report_id"):
        report = names.report(d["report_id"])
        line = say("{line}, in the report \u201c{report}\u201d", line=line, report=report)
    if d.get("external_id"):
        line = say("{line} (source id {id})", line=line, id=d["external_id"])
    if d.get("historic_before"):
        line = say(
            "{line}, imported on {date} as a historic record",
            line=line,
            date=_day(d["historic_before"]),
        )
    return line + origin_words(d.get("origin") or {}, say)


def _recommendation_line(event: Any, who: str, story: _Story, names: Names) -> str:
    say = names.say
    name = _name_of(event)
    d = vars(event)
    authority = story.authority or say("the authority")
    if name == "Drafted":
        return _drafted_line(d, who, story, names)
    if name == "DoubleSmartReviewRecorded":
        criteria = d["criteria"]
        met = sum(1 for v in criteria.values() if v)
        return say(
            "{who} recorded the Double-SMART review: {met} of {all} criteria met",
            who=who,
            met=met,
            all=len(criteria),
        )
    if name == "Reformulated":
        return say("{who} reworded it", who=who)
    if name == "Reiterated":
        earlier = names.recommendation(d["earlier_id"])
        return say("{who} marked it as repeating {earlier}", who=who, earlier=earlier)
    if name == "Issued":
        on = _day(d["issued_on"])
        if d.get("reply_due"):
            return say(
                "{who} issued it to {authority} on {date}; reply due {due}",
                who=who,
                authority=authority,
                date=on,
                due=_day(d["reply_due"]),
            )
        return say(
            "{who} issued it to {authority} on {date}; reply due once the report is sent",
            who=who,
            authority=authority,
            date=on,
        )
    if name == "ReplyClockStarted":
        return say(
            "The report reached {authority} on {date}; reply due {due}",
            authority=authority,
            date=_day(d["started_on"]),
            due=_day(d["reply_due"]),
        )
    if name == "ResponseReceived":
        position = _words(d["position"], say) if d.get("position") else say("no position yet")
        line = say(
            "{who} recorded the reply of {authority} received {date}: {position}",
            who=who,
            authority=authority,
            date=_day(d["received_on"]),
            position=position,
        )
        if d.get("agreed_implementation_date"):
            agreed = _day(d["agreed_implementation_date"])
            line = say("{line}, to be implemented by {date}", line=line, date=agreed)
        return line
    if name == "ReplyDeadlineExtended":
        return say(
            "{who} extended the reply deadline from {before} to {after}",
            who=who,
            before=_day(d["previous_due"]),
            after=_day(d["new_due"]),
        )
    if name == "FollowUpRecorded":
        kind = _words(d["kind"], say)
        return say(
            "{who} recorded a follow-up ({kind}): {summary}",
            who=who,
            kind=kind,
            summary=d["summary"],
        )
    if name == "ImplementationAssessed":
        status = _words(d["status"], say)
        line = say("{who} assessed the implementation: {status}", who=who, status=status)
        if d.get("reason"):
            line = say("{line} (why not: {reason})", line=line, reason=_words(d["reason"], say))
        if d.get("verified"):
            method = d.get("verification_method")
            line = say("{line}, verified by {method}", line=line, method=method)
        return line
    if name == "ImplementationVerified":
        return say("{who} verified the implementation: {method}", who=who, method=d["method"])
    if name == "StakeholderMapped":
        return say(
            "{who} mapped {actor} as a stakeholder (power {power}, interest {interest})",
            who=who,
            actor=d["actor"],
            power=d["power"],
            interest=d["interest"],
        )
    if name == "TagsChanged":
        themes = ", ".join((d.get("tags") or {}).get("themes") or []) or say("none")
        return say("{who} changed the tags (themes: {themes})", who=who, themes=themes)
    if name == "ReplyReminderSent":
        return say("{who} sent a reminder: reply due {due}", who=who, due=_day(d["due_on"]))
    if name == "ReplyDeadlineMissed":
        story.missed = say("Reply due {due} missed", due=_day(d["due_on"]))
        return say("{missed} (noted by {who})", missed=story.missed, who=who)
    if name == "ImplementationOverdue":
        story.missed = say("Implementation agreed for {due} overdue", due=_day(d["due_on"]))
        return say("{missed} (noted by {who})", missed=story.missed, who=who)
    if name == "Escalated":
        rule = say(
            "ladder level {level}: {action} to {addressee}",
            level=d["level"],
            action=say(d["action"]),  # a word of the catalog ("letter"), else as given
            addressee=d["addressee"],
        )
        return say("{missed}; {rule}", missed=story.missed, rule=rule) if story.missed else rule
    if name == "Withdrawn":
        return say("{who} withdrew it", who=who)
    if name == "Closed":
        return say("{who} closed it", who=who)
    if name == "EvidenceAttached":
        doc = d["document"]
        part = _words(doc["supports"], say)
        if doc.get("index") is not None:
            part = f"{part} {doc['index'] + 1}"
        return say(
            "{who} attached \u201c{file}\u201d as evidence for the {part}",
            who=who,
            file=doc["filename"],
            part=part,
        )
    if name == "CommentAdded":
        return say("{who} commented: {text}", who=who, text=d["text"])
    if name == "OriginRecorded":
        line = say("{who} changed its origin", who=who) + origin_words(d["origin"], say)
        if d.get("external_id"):
            line = say("{line} (source id {id})", line=line, id=d["external_id"])
        return line
    if name == "LetterGenerated":
        letter = d["letter"]
        found = LETTER_KINDS.get(letter["kind"])
        kind = say(found) if found else _words(letter["kind"], say)
        if letter.get("level"):
            kind = say("{kind}, level {level}", kind=kind, level=letter["level"])
        language = LANGUAGE_NAMES.get(letter["language"])
        return say(
            "{who} wrote the letter \u201c{kind}\u201d, in {language}",
            who=who,
            kind=kind,
            language=say(language) if language else letter["language"],
        )
    if name == "Published":
        return say("{who} published it in the public register", who=who)
    return say("{who}: {event}", who=who, event=_words(name).lower())


def _email_line(event: Any, who: str, say: Say) -> str:
    """An e-mail sent (domain/email.py): what, to whom; a resend after a crash said so."""
    to = _and(list(event.recipients), say)
    if event.attempts > 1:
        return say(
            "{who} e-mailed \u201c{subject}\u201d to {to} (sent {attempts} times, with the "
            "same Message-ID, after a restart)",
            who=who,
            subject=event.subject,
            to=to,
            attempts=event.attempts,
        )
    return say(
        "{who} e-mailed \u201c{subject}\u201d to {to}", who=who, subject=event.subject, to=to
    )


def _task_line(event: Any, who: str, task: Task, names: Names) -> str:
    say = names.say
    name = _name_of(event)
    d = vars(event)
    title = names.title(task.title)
    if name == "Opened":
        return say(
            "{who} opened the task \u201c{title}\u201d for {role}, due {due}",
            who=who,
            title=title,
            role=_words(d["role"], say),
            due=_day(d["due_on"]),
        )
    if name == "Claimed":
        holder = names.actor(d["assignee"])
        return say("{who} took the task \u201c{title}\u201d", who=holder, title=title)
    if name == "Reassigned":
        holder = names.actor(d["assignee"])
        return say(
            "{who} gave the task \u201c{title}\u201d to {holder}",
            who=who,
            title=title,
            holder=holder,
        )
    if name == "Completed":
        line = say(
            "{who} completed the task \u201c{title}\u201d: {outcome}",
            who=names.actor(d["completed_by"]),
            title=title,
            outcome=d["outcome"],
        )
        return say("{line}. Note: {note}", line=line, note=d["note"]) if d.get("note") else line
    if name == "Cancelled":
        return say("{who} cancelled the task \u201c{title}\u201d", who=who, title=title)
    return say(
        "{who}: {event} the task \u201c{title}\u201d",
        who=who,
        event=_words(name).lower(),
        title=title,
    )


def _sentence(line: str, meta: EventMeta | None, say: Say) -> str:
    line = line[0].upper() + line[1:] if line else line
    reason = meta.reason if meta is not None else None
    if reason and reason.strip():
        line = say("{line}. Reason: {reason}", line=line, reason=reason.strip())
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
            line = _email_line(event, who, names.say)
        else:
            line = _recommendation_line(event, who, story, names)
        lines.append(_sentence(line, meta, names.say))
    return lines
