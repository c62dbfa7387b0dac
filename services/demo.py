"""Demo data for a fictional NPM, the National Preventive Mechanism of the Republic of
Eldoria, so that a newcomer's first `rectrack up --demo` lands on a system that looks used:
ministries with escalation ladders, places of every type, three years of visits and
reports, and recommendations whose words fit the place they were made for, each reviewed
against the Double-SMART checklist by a colleague before the head of unit issued it.

The authorities answered most of them (on time, late after a reminder and an escalation
letter, or after asking for an extension); the NPM followed them up, checked them on
follow-up visits and closed the ones implemented. A few are left for the deadline
workflows: reports still unanswered after their due date, implementations past their
agreed date. The workflows open the caseworkers' tasks for those (the demo opens none),
so the inbox holds a day's work, not hundreds of items.

Everything is written through the executor, as the demo staff (real users, so histories
show their names), with the command models the API uses: events with actors, business
dates and command ids. It is deterministic (a fixed seed; the dates are relative to
`today`), and the command ids derive from it, so a load interrupted half-way and run
again does not duplicate what was already stored.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.recommendation import Recommendation
from domain.user import User, user_id_for
from domain.values import DOUBLE_SMART_CRITERIA, RecommendationKind, Role
from services.application.bootstrap import ensure_user, give_password
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    DraftRecommendation,
    IssueRecommendation,
    RecordReview,
    Reformulate,
    Reiterate,
    Tags,
)
from services.application.commands.registry import (
    RecordVisit,
    RegisterAuthority,
    RegisterPlace,
    RegisterReport,
    SendReport,
)
from services.application.commands.users import CreateUser, GrantRole
from services.application.executor import Caller, Executor
from services.demo_answers import LADDER, WORKFLOW, Answers, Issued, Place
from services.demo_texts import (
    AUTHORITIES,
    FINDINGS,
    HEAD,
    PLACE_NAMES,
    REGIONS,
    REVIEW_NOTES,
    STAFF,
    URGENT,
    Finding,
)

JURISDICTION = "DE"  # Eldoria borrows Germany's public holidays for its working days


class DemoLoader(Answers):
    def __init__(self, executor: Executor, today: date, seed: int = 20240501) -> None:
        self.executor = executor
        self.today = today
        self.random = random.Random(seed)
        self.counter = 0
        self.version = 0  # of the aggregate the last command left
        self.states: Counter[str] = Counter()
        self.authorities: dict[str, UUID] = {}
        # Reports with a designated fate, each given to the first report whose reply fell
        # due in its window (days before today): the work left for the workflows.
        self.fates: dict[str, tuple[int, int]] = {
            "unanswered": (1, 45),  # missed recently: the first escalation letters
            "extended": (46, 100),  # was due, extended to a date still to come
            "unanswered long": (101, 220),  # well up the escalation ladder
            "one unanswered": (300, 520),  # all answered but one
        }
        self.overdue_implementations = 0
        self.unchecked = 0
        # (place, finding) -> a recommendation the authority rejected, to be repeated.
        self.rejected: dict[tuple[UUID, str], UUID] = {}

    # --- writing -------------------------------------------------------------------------

    def run(self, command: Command, day: date, target: UUID | None = None, *, by: str = "") -> UUID:
        """Run one command on business date `day` as the user `by` (the head of unit when
        not told; the workflows' actor for "workflow"); the command ids count up from the
        seed, so a second load replays instead of appending."""
        self.counter += 1
        if by == "workflow":
            caller = WORKFLOW
        else:
            username = by or HEAD[0]
            role = Role.COMPLIANCE if username == HEAD[0] else Role.CASEWORKER
            caller = Caller(str(user_id_for(username)), role.value)
        result = self.executor.execute(
            command, caller, command_id=f"demo:{self.counter}", today=day, target_id=target
        )
        self.version = result.version
        return result.aggregate_id

    def users(self, day: date) -> None:
        for username, name in [*STAFF, HEAD]:
            if self.executor.store.find(User, user_id_for(username)) is not None:
                continue
            role = Role.COMPLIANCE if username == HEAD[0] else Role.CASEWORKER
            admin = Caller("rectrack-up", Role.SYSTEM.value)
            self.executor.execute(
                CreateUser(username=username, display_name=name),
                admin,
                command_id=f"demo:user-{username}",
                today=day,
            )
            self.executor.execute(
                GrantRole(role=role),
                admin,
                command_id=f"demo:grant-{username}",
                today=day,
                target_id=user_id_for(username),
            )

    # --- the story -----------------------------------------------------------------------

    def load(self) -> str:
        start = self.today - timedelta(days=3 * 365)
        self.users(start)
        places: list[Place] = []
        for name, kind, period, day_kind, types in AUTHORITIES:
            authority_id = self.run(
                RegisterAuthority.model_validate(
                    {
                        "name": name,
                        "kind": kind,
                        "jurisdiction": JURISDICTION,
                        "reply_period_days": period,
                        "day_kind": day_kind,
                        "urgent_reply_period_days": 7,
                        "escalation_ladder": [lv.model_dump() for lv in LADDER],
                    }
                ),
                start,
            )
            self.authorities[name] = authority_id
            for place_type in types:
                for place_name in PLACE_NAMES[place_type]:
                    place_id = self.run(
                        RegisterPlace(
                            name=place_name,
                            place_type=place_type,
                            region=self.random.choice(REGIONS),
                            authority_id=authority_id,
                        ),
                        start,
                    )
                    places.append(Place(place_id, place_name, place_type, authority_id))

        # About one visit a month for three years, each followed by a report; every type
        # of place is visited in the first rounds.
        visit_day = start + timedelta(days=10)
        order = places + [self.random.choice(places) for _ in range(60)]
        for place in order:
            if visit_day >= self.today - timedelta(days=30):
                break
            self.visit(place, visit_day)
            visit_day += timedelta(days=self.random.randint(24, 40))
        # Last week's visit, its report still being drafted and reviewed.
        self.visit(self.random.choice(places), self.today - timedelta(days=9))
        counts = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
        return f"{len(places)} places, {sum(self.states.values())} recommendations: {counts}"

    def visit(self, place: Place, day: date) -> None:
        end = day + timedelta(days=self.random.randint(0, 2))
        team = [u for u, _ in self.random.sample(STAFF, 3)]
        lead = team[0]
        names = dict(STAFF)
        visit_id = self.run(
            RecordVisit(
                place_id=place.id, start_date=day, end_date=end, team=[names[u] for u in team]
            ),
            day,
            by=lead,
        )
        urgent = URGENT.get(place.type)
        if urgent and end < self.today - timedelta(days=60) and self.random.random() < 0.3:
            self.urgent(place, visit_id, end, team, urgent)
        report_day = end + timedelta(days=self.random.randint(14, 28))
        sent = report_day <= self.today - timedelta(days=3)
        report_day = min(report_day, self.today)
        report_id = self.run(
            RegisterReport.model_validate(
                {
                    "kind": "visit_report",
                    "title": f"Visit to {place.name}, {day.strftime('%B %Y')}",
                    "report_date": report_day,
                    "visit_ids": [visit_id],
                }
            ),
            report_day,
            by=lead,
        )
        choices = FINDINGS[place.type]
        findings = self.random.sample(choices, min(len(choices), self.random.randint(4, 6)))
        drafted = [
            self.draft(place, visit_id, report_id, team, end, report_day, finding, sent)
            for finding in findings
        ]
        if not sent:
            self.states["draft"] += len(drafted)
            return
        self.run(
            SendReport(authority_id=place.authority_id, sent_on=report_day), report_day, report_id
        )
        for rec in drafted:
            self.run(IssueRecommendation(issued_on=report_day), report_day, rec.id)
        # The due date as issued (a second load finds it extended since).
        due = self.executor.store.get(Recommendation, drafted[-1].id, self.version).reply_due
        assert due is not None
        self.replies(place, report_id, report_day, due, lead, drafted)

    def urgent(
        self, place: Place, visit_id: UUID, day: date, team: list[str], finding: Finding
    ) -> None:
        """Made on the last day of the visit, reviewed and issued the same day on its own
        short period, answered within days and checked on the next visit."""
        drafter, reviewer = team[:2]
        rec_id = self.run(
            DraftRecommendation(
                kind=RecommendationKind.URGENT,
                text=finding.text,
                authority_id=place.authority_id,
                place_id=place.id,
                visit_id=visit_id,
                tags=_tags(finding),
                staff=[dict(STAFF)[u] for u in team],
            ),
            day,
            by=drafter,
        )
        self.review(rec_id, day, reviewer)
        self.run(IssueRecommendation(issued_on=day), day, rec_id)
        received = day + timedelta(days=self.random.randint(2, 5))
        self.respond(place, Issued(rec_id, finding, drafter), received, received, "accepted")

    def draft(
        self,
        place: Place,
        visit_id: UUID,
        report_id: UUID,
        team: list[str],
        visit_end: date,
        report_day: date,
        finding: Finding,
        reviewed: bool,
    ) -> Issued:
        """Drafted by one of the visiting team and reviewed by another before the report
        goes out; a draft the review finds wanting is reformulated and reviewed again."""
        drafter, reviewer = self.random.sample(team, 2)
        names = dict(STAFF)
        on = min(visit_end + timedelta(days=self.random.randint(2, 6)), report_day)
        review_on = min(on + timedelta(days=self.random.randint(1, 5)), report_day)
        weak = self.random.random() < 0.2
        rec_id = self.run(
            DraftRecommendation(
                kind=RecommendationKind.VISIT,
                text=finding.text,
                authority_id=place.authority_id,
                report_id=report_id,
                place_id=place.id,
                visit_id=visit_id,
                tags=_tags(finding),
                staff=[names[drafter], names[reviewer]],
            ),
            on,
            by=drafter,
        )
        earlier = self.rejected.get((place.id, finding.text))
        if earlier is not None:
            self.run(Reiterate(earlier_id=earlier), on, rec_id, by=drafter)
        if not reviewed and self.random.random() < 0.4:
            return Issued(rec_id, finding, drafter)  # still waiting for its review
        if weak:
            self.review(rec_id, review_on, reviewer, failed="time_bound")
            self.run(
                Reformulate(text=f"{finding.text} {finding.deadline}"),
                review_on,
                rec_id,
                by=drafter,
            )
        elif self.random.random() < 0.1:
            failed = self.random.choice(["measurable", "argued", "root_cause_responsive"])
            self.review(rec_id, review_on, reviewer, failed=failed)
            if not reviewed:
                return Issued(rec_id, finding, drafter)  # the drafter has yet to rework it
        self.review(rec_id, review_on, reviewer)
        return Issued(rec_id, finding, drafter)

    def review(self, rec_id: UUID, on: date, reviewer: str, failed: str | None = None) -> None:
        criteria = {c: c != failed for c in DOUBLE_SMART_CRITERIA}
        notes = {failed: REVIEW_NOTES[failed]} if failed else {}
        self.run(RecordReview(criteria=criteria, notes=notes), on, rec_id, by=reviewer)


def _tags(finding: Finding) -> Tags:
    """A finding's theme, the group or practice it concerns, and its nature, as tags."""
    return Tags(
        themes=[finding.theme],
        vulnerable_groups=[finding.group],
        problem_natures=[finding.nature],
    )


@dataclass(frozen=True)
class DemoLoaded:
    summary: str  # one line: what was written
    authorities: dict[str, UUID]


def load_demo(executor: Executor, today: date | None = None) -> DemoLoaded:
    """Loads the demo NPM."""
    loader = DemoLoader(executor, today or date.today())
    return DemoLoaded(loader.load(), dict(loader.authorities))


# One user per role, so that a newcomer can see what each kind of user sees; the liaison
# answers for the first ministry.
# Carla and Hedda are among the staff whose work the demo records (services/demo_texts.py).
DEMO_USERS: list[tuple[str, str, Role]] = [
    ("carla", "Carla Mendes", Role.CASEWORKER),
    ("hedda", "Hedda Lund", Role.COMPLIANCE),
    ("aude", "Aude Berger", Role.AUDITOR),
    ("lia", "Lia Moss", Role.AUTHORITY_LIAISON),
]


def give_demo_passwords(executor: Executor, liaison_authority: UUID) -> list[tuple[str, Role, str]]:
    """Creates the demo users (once) and gives each a new random password, to print once:
    (username, role, password)."""
    return [
        (
            username,
            role,
            give_password(
                executor,
                ensure_user(
                    executor,
                    username,
                    display_name,
                    role,
                    authority_id=liaison_authority if role is Role.AUTHORITY_LIAISON else None,
                ),
            ),
        )
        for username, display_name, role in DEMO_USERS
    ]
