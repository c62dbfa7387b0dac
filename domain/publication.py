"""What of a recommendation may leave the NPM: the one place that splits its fields and
its events into publishable and internal.

Every outward view (the authority liaison's answers today; a public register and exports
for outsiders) takes only what is publishable here. Anything not named publishable is
internal, so a field or an event added later stays inside until someone decides
otherwise; tests/fast/test_publication.py fails for a recommendation field or event that
is named neither publishable nor internal, so that decision is made on purpose.

Publishable: the reference (once there is one), the text, kind, place and report, the
status, the dates it was issued and is due, the authority's own responses with their
agreed dates, the NPM's published assessment (implemented or not, when, verified or
not), and its origin (source, recommending bodies, session, cycle, SDGs, whether it is a
historic record). Internal: the Double-SMART review, staff, every reason (`meta.reason`), notes, the
stakeholder map, tags, follow-up log, reminders, missed deadlines and escalation decisions
(the workflows' decisions), drafting and tasks.

A recommendation is published once it has been issued; its history before the issue
(drafting, review, early wording) stays internal even afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from domain.recommendation import Recommendation as _Recommendation
from domain.values import Role

# The library makes the event classes at import, out of the type checker's sight.
_R: Any = _Recommendation

PUBLISHABLE_FIELDS: frozenset[str] = frozenset(
    {
        # identity
        "id",
        "recommendation_id",
        "version",
        "reference",
        "external_id",
        # what and where
        "kind",
        "text",
        "authority_id",
        "authority_name",
        "place_id",
        "place_name",
        "place_type",
        "report_id",
        "report_title",
        "report_link",
        # where it stands
        "status",
        "issued_on",
        "made_on",
        "year",
        "reply_due",
        "due_on",
        "next_action",
        "overdue",
        "days_overdue",
        "closed_on",
        # the authority's own responses and agreed dates
        "position",
        "responses",
        "first_response_on",
        "last_response_on",
        "agreed_implementation_date",
        # the NPM's published assessment
        "implementation",
        "assessed_on",
        "verified",
        "verified_on",
        # about the answer itself
        "as_of",
        "basis",
        "allowed_actions",
        # the public register (domain/recommendation.py publish)
        "published_on",
        # where it comes from and what it serves (domain/origin.py): public facts
        "origin",
        "source",
        "recommending_bodies",
        "session",
        "cycle",
        "sdgs",
        # a historic record: imported after its period ended (domain/origin.py)
        "historic_before",
        "historic",
    }
)
"""Field names a liaison (or the public) may see, as the aggregate, the API and the
status view name them."""

INTERNAL_FIELDS: frozenset[str] = frozenset(
    {
        "visit_id",
        "staff",
        "drafted_on",
        "drafted_by",
        "review",
        "review_met",
        "repeats_id",
        "tags",
        "themes",
        "keywords",
        "vulnerable_groups",
        "detention_practices",
        "problem_natures",
        "follow_ups",
        "last_follow_up_on",
        "non_implementation_reason",
        "verification_method",
        "stakeholders",
        "escalation_level",
        "reminders",
        "reply_deadline_missed_on",
        "ended_on",
        "closure_reason",  # the status view's: the reason of its latest closure
        "last_action",
        "last_action_on",
        "last_actor",
        "reason",
        "notes",
        "command_id",
        "tasks",
        "evidence",
        "comments",
        # listed for a liaison only by the letters' own route (its authority's letters)
        "letters",
    }
)
"""Named so that the completeness test can tell "decided internal" from "forgotten";
the filters below never read it (whatever is not publishable is withheld)."""

PUBLISHABLE_EVENTS: dict[type, frozenset[str]] = {
    _R.Issued: frozenset({"issued_on", "reply_due"}),
    _R.Reformulated: frozenset({"text"}),
    _R.ResponseReceived: frozenset(
        {"received_on", "position", "text", "agreed_implementation_date"}
    ),
    _R.ReplyDeadlineExtended: frozenset({"previous_due", "new_due"}),
    _R.ReplyClockStarted: frozenset({"started_on", "reply_due"}),
    _R.ImplementationAssessed: frozenset({"status", "verified"}),
    _R.ImplementationVerified: frozenset(),
    _R.Withdrawn: frozenset(),
    _R.Closed: frozenset(),
    _R.Published: frozenset(),
    _R.OriginRecorded: frozenset({"origin", "external_id"}),
}
"""The recommendation events an outsider may see, each with the data fields it may see
(the reason of every event, in its meta, never)."""

INTERNAL_EVENTS: frozenset[type] = frozenset(
    {
        _R.Drafted,
        _R.DoubleSmartReviewRecorded,
        _R.Reiterated,
        _R.FollowUpRecorded,
        _R.StakeholderMapped,
        _R.TagsChanged,
        _R.ReplyReminderSent,
        _R.ReplyDeadlineMissed,
        _R.Escalated,
        _R.ImplementationOverdue,
        _R.EvidenceAttached,
        _R.CommentAdded,
        # a letter reaches the liaison as a download of its own authority's letters,
        # not as a history entry (the public register never shows letters)
        _R.LetterGenerated,
    }
)

PUBLISHABLE_EVENT_NAMES: dict[str, frozenset[str]] = {
    cls.__qualname__.rpartition(".")[2]: data for cls, data in PUBLISHABLE_EVENTS.items()
}
"""The same, keyed by the event's own name ("Issued"), as views and history entries
name it."""

ISSUED = "Issued"

PUBLISHABLE_ACTOR_ROLES = frozenset({Role.AUTHORITY_LIAISON.value})
"""Whose identity an outsider may see on an event: the authority's own people, never
the NPM's staff or its workflows."""


def is_published(recommendation: _Recommendation) -> bool:
    """Whether outsiders may see it at all: it has been issued (never a draft, nor a
    draft withdrawn before issue)."""
    return recommendation.issued_on is not None


def published_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Only the publishable ones of a recommendation's fields (a row, a state)."""
    return {name: value for name, value in fields.items() if name in PUBLISHABLE_FIELDS}


def published_data(event_name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Only the publishable data of a publishable event (empty for any other)."""
    allowed = PUBLISHABLE_EVENT_NAMES.get(event_name, frozenset())
    return {name: value for name, value in data.items() if name in allowed}


def published_actor(actor_role: str | None, actor_id: str | None) -> tuple[str | None, ...]:
    """(role, id) of an event's actor when an outsider may see who acted, else Nones."""
    if actor_role in PUBLISHABLE_ACTOR_ROLES:
        return actor_role, actor_id
    return None, None


SHARED_EVIDENCE_SUPPORTS = frozenset({"response"})
"""The evidence documents an authority's liaison may list and download: those attached
to its authority's responses (its own replies' letters and plans, whoever attached
them); a follow-up's or an assessment's documents are the NPM's working papers."""


def shared_with_authority(document: Mapping[str, Any]) -> bool:
    """Whether an evidence document (as EvidenceAttached records it) is the liaison's to
    see; the public register never lists evidence."""
    return document.get("supports") in SHARED_EVIDENCE_SUPPORTS


def published_events(names: Iterable[tuple[str, Any]]) -> Iterator[Any]:
    """Of (event name, item) pairs in the order they were recorded, the items an
    outsider may see: publishable events from the issue onwards."""
    issued = False
    for name, item in names:
        issued = issued or name == ISSUED
        if issued and name in PUBLISHABLE_EVENT_NAMES:
            yield item
