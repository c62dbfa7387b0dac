"""The demo's second half: how the authorities answered each report and what the NPM
did next (see services/demo.py). A mixin of DemoLoader, which writes the commands."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.values import PlaceType, Role
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    AssessImplementation,
    CloseRecommendation,
    ExtendReplyDeadline,
    MapStakeholder,
    PublishRecommendation,
    RecordEscalation,
    RecordFollowUp,
    RecordReplyDeadlineMissed,
    RecordReplyReminder,
    RecordResponse,
    WithdrawRecommendation,
)
from services.application.commands.registry import LadderLevel
from services.application.executor import Caller
from services.demo_texts import (
    CLOSE_REASONS,
    EXTENSION_REASONS,
    FOLLOW_UP_NOTES,
    RESPONSES,
    STAKEHOLDERS,
    VISIT_FINDINGS,
    WITHDRAWAL_REASONS,
    Finding,
)

# The deadline workflows' own actor (workflows/activities.py), for the reminders, missed
# deadlines and escalations of the past that the demo records as they would have.
WORKFLOW = Caller("system:deadline-workflow", Role.SYSTEM.value)

LADDER = [
    LadderLevel(action="send reminder letter", addressee="head of institution", wait_days=14),
    LadderLevel(action="write to the minister", addressee="ministry", wait_days=30),
    LadderLevel(action="raise in the annual report", addressee="parliament", wait_days=60),
]

# At most this many accepted recommendations are left unimplemented past their agreed
# date (each gives the implementation workflow a task and an escalation).
OVERDUE_IMPLEMENTATIONS = 3
# ... and this many are past their agreed date, waiting for the check (a verify task each).
UNCHECKED_IMPLEMENTATIONS = 3


@dataclass(frozen=True)
class Place:
    id: UUID
    name: str
    type: PlaceType
    authority_id: UUID


@dataclass
class Issued:
    id: UUID
    finding: Finding
    drafter: str


class Answers:
    """Needs the loader's `run`, its random generator, `today` and the counters."""

    random: random.Random
    today: date
    states: Counter[str]
    fates: dict[str, tuple[int, int]]
    overdue_implementations: int
    unchecked: int
    rejected: dict[tuple[UUID, str], UUID]

    def run(self, command: Command, day: date, target: UUID | None = None, *, by: str = "") -> UUID:
        raise NotImplementedError

    def fate(self, due: date) -> str:
        late = (self.today - due).days
        if late <= 0:
            return "waiting"
        for fate, (first, last) in self.fates.items():
            if first <= late <= last:
                del self.fates[fate]
                return fate
        roll = self.random.random()
        return "late" if roll < 0.15 else "extension" if roll < 0.3 else "on time"

    def replies(
        self,
        place: Place,
        report_id: UUID,
        sent_on: date,
        due: date,
        lead: str,
        recs: list[Issued],
    ) -> None:
        fate = self.fate(due)
        obligation = f"obligation-{report_id}-{place.authority_id}"
        reason = f"workflow {obligation}"
        if fate in ("extension", "extended"):
            asked = max(due - timedelta(days=self.random.randint(2, 6)), sent_on)
            new_due = (
                self.today + timedelta(days=21) if fate == "extended" else due + timedelta(days=30)
            )
            why = self.random.choice(EXTENSION_REASONS)
            for rec in recs:
                self.run(ExtendReplyDeadline(new_due=new_due, reason=why), asked, rec.id, by=lead)
            due = new_due
        if fate == "late":
            reminder = due - timedelta(days=7)
            missed = due + timedelta(days=1)
            for rec in recs:
                if reminder > sent_on:
                    self.run(
                        RecordReplyReminder(due_on=due, reason=reason),
                        reminder,
                        rec.id,
                        by="workflow",
                    )
                self.run(
                    RecordReplyDeadlineMissed(due_on=due, reason=reason),
                    missed,
                    rec.id,
                    by="workflow",
                )
                first = LADDER[0]
                self.run(
                    RecordEscalation(
                        level=1,
                        action=first.action,
                        addressee=first.addressee,
                        obligation_id=obligation,
                        reason=reason,
                    ),
                    missed,
                    rec.id,
                    by="workflow",
                )
            letter = missed + timedelta(days=2)
            self.run(
                RecordFollowUp(
                    kind="letter",  # type: ignore[arg-type]
                    summary=f"Reminder letter sent to the director of {place.name}: the reply "
                    f"to the report was due on {due.isoformat()}.",
                    happened_on=letter,
                ),
                letter,
                recs[0].id,
                by=lead,
            )
        if fate in ("unanswered", "unanswered long", "extended"):
            self.states["issued"] += len(recs)
            return
        # The authority answers for the whole report in one letter.
        if fate == "late":
            received = due + timedelta(days=self.random.randint(5, 12))
        elif fate == "waiting":
            received = sent_on + timedelta(days=self.random.randint(10, 25))
        else:
            received = due - timedelta(days=self.random.randint(1, 12))
        received = max(received, sent_on + timedelta(days=3))
        agreed = received + timedelta(days=self.random.randint(90, 300))
        for index, rec in enumerate(recs):
            unanswered = received > self.today or (fate == "one unanswered" and index == 0)
            if self.random.random() < 0.04 and not unanswered and fate != "late":
                withdrawn_on = sent_on + timedelta(days=self.random.randint(3, 20))
                self.run(
                    WithdrawRecommendation(reason=self.random.choice(WITHDRAWAL_REASONS)),
                    min(withdrawn_on, self.today),
                    rec.id,
                    by=lead,
                )
                self.states["withdrawn"] += 1
                continue
            if unanswered:
                self.states["issued"] += 1
                continue
            self.respond(place, rec, received, agreed)

    def respond(
        self, place: Place, rec: Issued, received: date, agreed: date, position: str = ""
    ) -> None:
        position = (
            position
            or self.random.choices(
                ["accepted", "partially_accepted", "rejected", "noted"], [6, 2, 1, 1]
            )[0]
        )
        accepted = position in ("accepted", "partially_accepted")
        self.run(
            RecordResponse(
                received_on=received,
                position=position,  # type: ignore[arg-type]
                text=self.random.choice(RESPONSES[position]).format(place=place.name),
                agreed_implementation_date=agreed if accepted else None,
            ),
            received,
            rec.id,
            by=rec.drafter,
        )
        # Answered recommendations go to the public register (/register) with the answer.
        self.run(PublishRecommendation(), received, rec.id, by=rec.drafter)
        if self.random.random() < 0.2:
            actor, power, interest = self.random.choice(STAKEHOLDERS[place.type])
            self.run(
                MapStakeholder(actor=actor, power=power, interest=interest),  # type: ignore[arg-type]
                received,
                rec.id,
                by=rec.drafter,
            )
        if accepted:
            self.implementation(place, rec, received, agreed)
        else:
            self.refusal(place, rec, received)

    def note(self, place: Place, rec: Issued, kind: str, on: date, text: str = "") -> None:
        summary = text or self.random.choice(FOLLOW_UP_NOTES[kind])
        self.run(
            RecordFollowUp(
                kind=kind,  # type: ignore[arg-type]
                summary=summary.format(place=place.name),
                happened_on=on,
            ),
            on,
            rec.id,
            by=rec.drafter,
        )

    def assess(
        self, rec: Issued, status: str, on: date, reason: str | None = None, method: str = ""
    ) -> None:
        self.run(
            AssessImplementation.model_validate(
                {
                    "status": status,
                    "non_implementation_reason": reason,
                    "verified": bool(method),
                    "verification_method": method or None,
                    "assessed_on": on,
                }
            ),
            on,
            rec.id,
            by=rec.drafter,
        )

    def implementation(self, place: Place, rec: Issued, received: date, agreed: date) -> None:
        """Accepted with an agreed date: checked on a follow-up visit after that date;
        before it, progress is asked for by letter or at a meeting."""
        progress_on = received + timedelta(days=self.random.randint(30, 80))
        if progress_on < min(agreed, self.today) and self.random.random() < 0.35:
            self.note(
                place, rec, self.random.choice(["letter", "meeting", "action_plan"]), progress_on
            )
            if agreed > self.today and self.random.random() < 0.5:
                self.assess(rec, "in_progress", progress_on)
                self.states["assessed"] += 1
                return
        checked = agreed + timedelta(days=self.random.randint(7, 25))
        if checked > self.today:
            # Not yet checked: the implementation workflow opens the verify task on the
            # agreed date; a few of those are in the inbox, the rest were checked already.
            if agreed > self.today or self.unchecked < UNCHECKED_IMPLEMENTATIONS:
                self.unchecked += agreed <= self.today
                self.states["responded"] += 1
                return
            checked = max(agreed, self.today - timedelta(days=1))
        status = "implemented"
        if self.overdue_implementations < OVERDUE_IMPLEMENTATIONS and self.random.random() < 0.1:
            self.overdue_implementations += 1
            status = self.random.choice(["partially_implemented", "not_implemented"])
        self.note(place, rec, "visit", checked, VISIT_FINDINGS[status])
        if status != "implemented":
            self.assess(rec, status, checked, reason=self.random.choice(["budget", "resistance"]))
            self.states["assessed"] += 1
            return
        self.assess(rec, status, checked, method=f"follow-up visit on {checked.isoformat()}")
        closed_on = checked + timedelta(days=self.random.randint(7, 30))
        if closed_on <= self.today and self.random.random() < 0.45:
            self.run(CloseRecommendation(reason=CLOSE_REASONS["implemented"]), closed_on, rec.id)
            self.states["closed"] += 1
        else:
            self.states["assessed"] += 1

    def refusal(self, place: Place, rec: Issued, received: date) -> None:
        """Rejected or only noted: discussed, then (after a year) assessed as not
        implemented; some are closed, and the next visit to the place repeats them."""
        self.rejected[(place.id, rec.finding.text)] = rec.id
        talked = received + timedelta(days=self.random.randint(20, 60))
        if talked >= self.today:
            self.states["responded"] += 1
            return
        self.note(place, rec, self.random.choice(["meeting", "letter", "working_group"]), talked)
        judged = received + timedelta(days=self.random.randint(300, 400))
        if judged >= self.today:
            self.states["responded"] += 1
            return
        self.assess(rec, "not_implemented", judged, reason="resistance")
        if self.random.random() < 0.5:
            self.note(place, rec, "parliament", judged)
            self.run(CloseRecommendation(reason=CLOSE_REASONS["rejected"]), judged, rec.id)
            self.states["closed"] += 1
        else:
            self.states["assessed"] += 1
