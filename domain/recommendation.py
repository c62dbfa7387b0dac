"""The recommendation: every action on it is its own past-tense event.

Public methods check the rules and raise; the private methods decorated with @event only
apply state, because they also run on replay, when the rules of the day must not be
re-judged. A rejected command therefore triggers no event and nothing is appended.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.attachments import check_evidence
from domain.errors import FourEyesRule, IllegalTransition, InvalidInput
from domain.letters import check_documents, dated_by
from domain.origin import blank_origin, changed_origin
from domain.recommendation_decisions import WorkflowDecisions
from domain.recommendation_ending import Ending
from domain.recommendation_reply import Reply
from domain.recommendation_rules import (
    ALLOWED_FROM,
    TAG_FIELDS,
    allowed_actions,
    check_review,
    clean_tags,
)
from domain.values import EventMeta as Meta
from domain.values import (
    FollowUpKind,
    ImplementationStatus,
    Level,
    NonImplementationReason,
    Position,
    RecommendationKind,
    Status,
)


class Recommendation(WorkflowDecisions, Ending, Reply, Aggregate):
    @event("Drafted")
    def __init__(
        self,
        meta: Meta,
        kind: str,
        text: str,
        authority_id: str,
        report_id: str | None,
        place_id: str | None,
        visit_id: str | None,
        tags: dict[str, list[str]],
        staff: list[str],
        reference: str | None = None,
        external_id: str | None = None,
        origin: dict[str, Any] | None = None,
        historic_before: date | None = None,
    ) -> None:
        # `reference` (NPM-2024-0123, domain/reference.py), `external_id` (the id in the
        # source an import came from), `origin` and `historic_before` (domain/origin.py)
        # came later: drafts stored before have none of them.
        self.reference = reference
        self.external_id = external_id
        self.origin: dict[str, Any] = dict(origin) if origin else blank_origin()
        self.historic_before = historic_before
        self.kind = RecommendationKind(kind)
        self.text = text
        self.authority_id = authority_id
        self.report_id = report_id
        self.place_id = place_id
        self.visit_id = visit_id
        self.tags: dict[str, list[str]] = {f: list(tags.get(f, [])) for f in TAG_FIELDS}
        self.staff = list(staff)
        self.drafted_on = meta.business_date
        # Who drafted it: the four-eyes rule compares the reviewer and the issuer with them.
        self.drafted_by = meta.actor_id
        self.status = Status.DRAFT
        self.review: dict[str, Any] | None = None
        self.issued_on: date | None = None
        self.reply_due: date | None = None
        self.repeats_id: str | None = None
        self.position: Position | None = None
        self.responses: list[dict[str, Any]] = []
        self.agreed_implementation_date: date | None = None
        self.follow_ups: list[dict[str, Any]] = []
        self.implementation: ImplementationStatus | None = None
        self.non_implementation_reason: NonImplementationReason | None = None
        self.assessed_on: date | None = None
        self.closed_on: date | None = None
        self.verified = False
        self.verified_on: date | None = None
        self.verification_method: str | None = None
        self.stakeholders: dict[str, dict[str, str]] = {}
        self.escalation_level = 0
        self.reply_deadline_missed_on: date | None = None
        self.evidence: list[dict[str, Any]] = []  # documents, domain/attachments.py
        self.comments = 0
        self.published_on: date | None = None
        self.letters: list[dict[str, Any]] = []  # LetterGenerated, domain/letters.py

    # --- rules -------------------------------------------------------------------------

    def _require(self, action: str) -> None:
        if self.status not in ALLOWED_FROM[action]:
            raise IllegalTransition(
                "recommendation", self.id, self.status.value, action, allowed_actions(self.status)
            )

    # --- drafting ------------------------------------------------------------------------

    def _four_eyes(self, meta: Meta, action: str, four_eyes: bool) -> None:
        if four_eyes and meta.actor_id == self.drafted_by:
            raise FourEyesRule(action, self.drafted_by)

    def record_review(
        self,
        meta: Meta,
        criteria: dict[str, bool],
        notes: dict[str, str],
        *,
        four_eyes: bool = False,
    ) -> None:
        self._require("record_review")
        self._four_eyes(meta, "review", four_eyes)
        check_review(criteria, notes)
        self._record_review(meta, dict(criteria), dict(notes))

    @event("DoubleSmartReviewRecorded")
    def _record_review(self, meta: Meta, criteria: dict[str, bool], notes: dict[str, str]) -> None:
        self.review = {
            "criteria": criteria,
            "notes": notes,
            "met": sum(1 for v in criteria.values() if v),
            "reviewed_on": meta.business_date,
        }

    def reformulate(self, meta: Meta, text: str) -> None:
        self._require("reformulate")
        if not text.strip():
            raise InvalidInput("text", "must not be empty")
        if text == self.text:
            raise InvalidInput("text", "is the same as the current wording")
        self._reformulate(meta, text)

    @event("Reformulated")
    def _reformulate(self, meta: Meta, text: str) -> None:
        self.text = text

    def reiterate(self, meta: Meta, earlier_id: UUID) -> None:
        self._require("reiterate")
        if earlier_id == self.id:
            raise InvalidInput("earlier_id", "a recommendation cannot repeat itself")
        self._reiterate(meta, str(earlier_id))

    @event("Reiterated")
    def _reiterate(self, meta: Meta, earlier_id: str) -> None:
        self.repeats_id = earlier_id

    def issue(
        self, meta: Meta, issued_on: date, reply_due: date | None, *, four_eyes: bool = False
    ) -> None:
        """`reply_due` None: issued under a report not yet sent to the authority, whose
        sending starts the reply clock (start_reply_clock)."""
        self._require("issue")
        self._four_eyes(meta, "issue", four_eyes)
        if issued_on < self.drafted_on:
            raise InvalidInput(
                "issued_on", "must not precede the drafting date {day}", day=self.drafted_on
            )
        if reply_due is not None and reply_due <= issued_on:
            raise InvalidInput("reply_due", "must be after the issue date")
        self._issue(meta, issued_on, reply_due)

    @event("Issued")
    def _issue(self, meta: Meta, issued_on: date, reply_due: date | None) -> None:
        self.status = Status.ISSUED
        self.issued_on = issued_on
        self.reply_due = reply_due

    # --- the authority's reply (the rules: Reply) -----------------------------------------

    @event("ReplyClockStarted")
    def _start_reply_clock(self, meta: Meta, started_on: date, reply_due: date) -> None:
        self.reply_due = reply_due
        self.reply_deadline_missed_on = None

    class ResponseReceived(Aggregate.Event):
        """Version 2 added the agreed implementation date. Replies stored as version 1
        carried none, and the upcaster says so explicitly rather than guessing one."""

        class_version = 2

        meta: Meta
        received_on: date
        position: str | None
        text: str
        agreed_implementation_date: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["agreed_implementation_date"] = None

    @event(ResponseReceived)
    def _record_response(
        self,
        meta: Meta,
        received_on: date,
        position: str | None,
        text: str,
        agreed_implementation_date: date | None,
    ) -> None:
        if position is not None:
            self.position = Position(position)
        self.responses.append(
            {
                "received_on": received_on,
                "position": position,
                "text": text,
                "agreed_implementation_date": agreed_implementation_date,
            }
        )
        if agreed_implementation_date is not None:
            self.agreed_implementation_date = agreed_implementation_date
        if self.status == Status.ISSUED:
            self.status = Status.RESPONDED

    @event("ReplyDeadlineExtended")
    def _extend_reply_deadline(self, meta: Meta, previous_due: date, new_due: date) -> None:
        self.reply_due = new_due
        self.reply_deadline_missed_on = None

    # --- follow-up and implementation ------------------------------------------------------

    def record_follow_up(self, meta: Meta, kind: FollowUpKind, summary: str) -> None:
        self._require("record_follow_up")
        if not summary.strip():
            raise InvalidInput("summary", "must say what happened")
        self._record_follow_up(meta, kind.value, summary)

    @event("FollowUpRecorded")
    def _record_follow_up(self, meta: Meta, kind: str, summary: str) -> None:
        self.follow_ups.append({"kind": kind, "on": meta.business_date, "summary": summary})

    def assess_implementation(
        self,
        meta: Meta,
        status: ImplementationStatus,
        reason: NonImplementationReason | None,
        verified: bool,
        verification_method: str | None,
    ) -> None:
        self._require("assess_implementation")
        needs_reason = status in (
            ImplementationStatus.NOT_IMPLEMENTED,
            ImplementationStatus.PARTIALLY_IMPLEMENTED,
        )
        if needs_reason and reason is None:
            raise InvalidInput(
                "reason", "is required when implementation is {status}", status=status
            )
        if not needs_reason and reason is not None:
            raise InvalidInput(
                "reason", "applies only to unimplemented parts, not {status}", status=status
            )
        if verified and not (verification_method and verification_method.strip()):
            raise InvalidInput("verification_method", "must say how the NPM verified it")
        self._assess_implementation(
            meta,
            status.value,
            reason.value if reason else None,
            verified,
            verification_method if verified else None,
        )

    @event("ImplementationAssessed")
    def _assess_implementation(
        self,
        meta: Meta,
        status: str,
        reason: str | None,
        verified: bool,
        verification_method: str | None,
    ) -> None:
        self.status = Status.ASSESSED
        self.implementation = ImplementationStatus(status)
        self.non_implementation_reason = NonImplementationReason(reason) if reason else None
        self.assessed_on = meta.business_date
        self.verified = verified
        self.verified_on = meta.business_date if verified else None
        self.verification_method = verification_method

    def verify_implementation(self, meta: Meta, method: str) -> None:
        self._require("verify_implementation")
        if not method.strip():
            raise InvalidInput("method", "must say how the NPM verified it")
        self._verify_implementation(meta, method)

    @event("ImplementationVerified")
    def _verify_implementation(self, meta: Meta, method: str) -> None:
        self.verified = True
        self.verified_on = meta.business_date
        self.verification_method = method

    # --- analysis --------------------------------------------------------------------------

    def map_stakeholder(self, meta: Meta, actor: str, power: Level, interest: Level) -> None:
        self._require("map_stakeholder")
        if not actor.strip():
            raise InvalidInput("actor", "must name the stakeholder")
        self._map_stakeholder(meta, actor.strip(), power.value, interest.value)

    @event("StakeholderMapped")
    def _map_stakeholder(self, meta: Meta, actor: str, power: str, interest: str) -> None:
        self.stakeholders[actor] = {"power": power, "interest": interest}

    def change_tags(self, meta: Meta, tags: dict[str, list[str]]) -> None:
        self._require("change_tags")
        unknown = [f for f in tags if f not in TAG_FIELDS]
        if unknown:
            raise InvalidInput("tags", "unknown tag fields: {names}", names=", ".join(unknown))
        new = {f: clean_tags(f, tags[f]) if f in tags else self.tags[f] for f in TAG_FIELDS}
        if new == self.tags:
            raise InvalidInput("tags", "are unchanged")
        self._change_tags(meta, new)

    @event("TagsChanged")
    def _change_tags(self, meta: Meta, tags: dict[str, list[str]]) -> None:
        self.tags = {f: list(tags.get(f, [])) for f in TAG_FIELDS}

    def record_origin(self, meta: Meta, changes: dict[str, Any]) -> None:
        """Source, recommending bodies, session, cycle, SDGs, external id (only those
        given change; the rules are domain/origin.py's)."""
        self._require("record_origin")
        self._record_origin(meta, *changed_origin(self.origin, self.external_id, changes))

    @event("OriginRecorded")
    def _record_origin(self, meta: Meta, origin: dict[str, Any], external_id: str | None) -> None:
        self.origin = dict(origin)
        self.external_id = external_id

    # --- decisions recorded by the deadline workflows (their rules: WorkflowDecisions) ---

    # letters_batched: the relay writes this step's letter (#16); False in events before it.
    @event("ReplyReminderSent")
    def _record_reply_reminder(
        self, meta: Meta, due_on: date, letters_batched: bool = False
    ) -> None:
        pass

    @event("ReplyDeadlineMissed")
    def _record_reply_deadline_missed(
        self, meta: Meta, due_on: date, letters_batched: bool = False
    ) -> None:
        self.reply_deadline_missed_on = due_on

    @event("Escalated")
    def _record_escalation(
        self,
        meta: Meta,
        level: int,
        action: str,
        addressee: str,
        obligation_id: str,
        due_on: date | None = None,  # the missed due date; None in events before #16
        letters_batched: bool = False,
    ) -> None:
        self.escalation_level = max(self.escalation_level, level)

    @event("ImplementationOverdue")
    def _record_implementation_overdue(self, meta: Meta, due_on: date) -> None:
        pass

    # --- ending (the rules: Ending) ----------------------------------------------------------

    @event("Withdrawn")
    def _withdraw(self, meta: Meta) -> None:
        self.status = Status.WITHDRAWN

    @event("Closed")
    def _close(self, meta: Meta) -> None:
        self.status = Status.CLOSED
        self.closed_on = meta.business_date

    # --- evidence (domain/attachments.py), comments, publication -----------------------------

    def attach_evidence(self, meta: Meta, doc: dict[str, Any]) -> None:
        """`doc`: the stored document's sha256, filename, media_type, size, and what it
        supports (a response or follow-up by its `index`, or the assessment)."""
        self._require("attach_evidence")
        self._attach_evidence(meta, check_evidence(self, doc))

    @event("EvidenceAttached")
    def _attach_evidence(self, meta: Meta, document: dict[str, Any]) -> None:
        self.evidence.append(document)

    def add_comment(self, meta: Meta, text: str) -> None:
        self._require("add_comment")
        if not text.strip():
            raise InvalidInput("text", "a comment must say something")
        self._add_comment(meta, text)

    @event("CommentAdded")
    def _add_comment(self, meta: Meta, text: str) -> None:
        self.comments += 1

    def publish(self, meta: Meta) -> None:
        self._require("publish")
        if self.published_on is not None:
            raise InvalidInput("recommendation", "is already in the public register")
        self._publish(meta)

    @event("Published")
    def _publish(self, meta: Meta) -> None:
        self.published_on = meta.business_date

    # --- letters (domain/letters.py) -----------------------------------------------------

    def record_letter(self, meta: Meta, letter: dict[str, Any]) -> None:
        """A letter to the authority naming this recommendation outside its report's
        letters (urgent, in no report, or one letter about many); a report's are its."""
        if self.status is Status.DRAFT:
            raise InvalidInput("recommendation_ids", "a draft is addressed to no one yet")
        check_documents(letter["documents"])
        self._record_letter(meta, letter)

    @event("LetterGenerated")
    def _record_letter(self, meta: Meta, letter: dict[str, Any]) -> None:
        self.letters.append({**letter, **dated_by(meta)})
