"""Demo data for a fictional NPM, the National Preventive Mechanism of the Republic of
Eldoria, so that a newcomer's first `rectrack up --demo` lands on a system that looks used:
ministries with escalation ladders, places of every type, three years of visits and
reports, a few hundred recommendations in every state, some of them overdue (which the
deadline workflows then escalate, opening tasks).

Everything is written through the same command models the API uses, so the demo is real
history: events with actors, business dates and command ids, and a hash chain. It is
deterministic (a fixed seed), and the command ids derive from it, so a load interrupted
half-way and run again does not duplicate what was already stored.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from domain.values import DOUBLE_SMART_CRITERIA, PlaceType, Role
from services.application.bootstrap import issue_user_token
from services.application.commands.base import Command
from services.application.commands.recommendations import (
    AssessImplementation,
    CloseRecommendation,
    DraftRecommendation,
    ExtendReplyDeadline,
    MapStakeholder,
    RecordFollowUp,
    RecordResponse,
    RecordReview,
    Tags,
    VerifyImplementation,
    WithdrawRecommendation,
)
from services.application.commands.registry import (
    LadderLevel,
    RecordVisit,
    RegisterAuthority,
    RegisterPlace,
    RegisterReport,
    SendReport,
)
from services.application.executor import Caller, Executor

JURISDICTION = "DE"  # Eldoria borrows Germany's public holidays for its working days
STAFF = ["A. Novak", "B. Okafor", "C. Lindqvist", "D. Haddad", "E. Moreau", "F. Kowalski"]

AUTHORITIES: list[tuple[str, str, int, str, list[PlaceType]]] = [
    # name, kind, reply period (days), day kind, place types it is responsible for
    ("Ministry of Justice", "ministry", 30, "calendar", [PlaceType.PRISON]),
    ("Prison Service of Eldoria", "agency", 30, "working", [PlaceType.PRE_TRIAL_DETENTION]),
    (
        "Ministry of the Interior",
        "ministry",
        45,
        "calendar",
        [PlaceType.POLICE_CUSTODY, PlaceType.IMMIGRATION_DETENTION],
    ),
    ("Ministry of Health", "ministry", 60, "calendar", [PlaceType.PSYCHIATRIC_INSTITUTION]),
    (
        "Ministry of Social Affairs",
        "ministry",
        30,
        "working",
        [PlaceType.SOCIAL_CARE_HOME, PlaceType.JUVENILE_INSTITUTION],
    ),
    ("Ministry of Defence", "ministry", 30, "calendar", [PlaceType.MILITARY, PlaceType.OTHER]),
]

PLACE_NAMES: dict[PlaceType, list[str]] = {
    PlaceType.PRISON: ["Karsk Central Prison", "Veltmoor Prison", "Osten Women's Prison"],
    PlaceType.PRE_TRIAL_DETENTION: ["Aldhaven Remand Centre", "Brenna Pre-Trial Facility"],
    PlaceType.POLICE_CUSTODY: ["Aldhaven Police HQ cells", "Lirien District Police Station"],
    PlaceType.IMMIGRATION_DETENTION: ["Port Saska Immigration Centre"],
    PlaceType.PSYCHIATRIC_INSTITUTION: ["St. Orla Psychiatric Hospital", "Dunmere Forensic Ward"],
    PlaceType.SOCIAL_CARE_HOME: ["Greenfold Care Home", "Maple Hill Residential Home"],
    PlaceType.JUVENILE_INSTITUTION: ["Rivermark Youth Centre"],
    PlaceType.MILITARY: ["Fort Hallam Disciplinary Barracks"],
    PlaceType.OTHER: ["Aldhaven Airport Transit Zone"],
}
REGIONS = ["North", "Capital", "Coast", "Highlands", "South"]

FINDINGS: list[tuple[str, str, str, str]] = [
    # text, theme, vulnerable group or practice, nature of problem
    (
        "Ensure that every detained person has at least one hour of outdoor exercise daily",
        "outdoor exercise",
        "all detainees",
        "practices",
    ),
    (
        "Install call bells in all cells and answer them within five minutes",
        "material conditions",
        "all detainees",
        "material_conditions",
    ),
    (
        "Inform every person in custody of their rights in a language they understand",
        "fundamental safeguards",
        "foreign nationals",
        "procedures",
    ),
    (
        "Guarantee access to a lawyer from the very outset of police custody",
        "fundamental safeguards",
        "persons in police custody",
        "laws",
    ),
    (
        "Record every use of means of restraint in a dedicated register",
        "restraint",
        "psychiatric patients",
        "procedures",
    ),
    (
        "End the practice of solitary confinement for juveniles",
        "solitary confinement",
        "juveniles",
        "practices",
    ),
    (
        "Provide a confidential complaints mechanism accessible to all residents",
        "complaints",
        "older persons",
        "procedures",
    ),
    (
        "Ensure a medical examination of every new arrival within 24 hours",
        "health care",
        "all detainees",
        "procedures",
    ),
    (
        "Train staff in de-escalation techniques and document the training",
        "staff training",
        "all detainees",
        "attitudes",
    ),
    (
        "Repair the ventilation and heating in the accommodation blocks",
        "material conditions",
        "all detainees",
        "material_conditions",
    ),
    (
        "Allow daily telephone contact with family members",
        "contact with the outside world",
        "women",
        "practices",
    ),
    (
        "Provide interpretation for medical consultations",
        "health care",
        "migrants",
        "procedures",
    ),
    (
        "Separate pre-trial detainees from convicted prisoners",
        "separation",
        "pre-trial detainees",
        "laws",
    ),
    (
        "Ensure access to sanitary products free of charge",
        "hygiene",
        "women",
        "material_conditions",
    ),
    (
        "Stop the use of strip searches as a routine measure",
        "searches",
        "all detainees",
        "practices",
    ),
]

LADDER = [
    LadderLevel(action="send reminder letter", addressee="head of institution", wait_days=14),
    LadderLevel(action="write to the minister", addressee="ministry", wait_days=30),
    LadderLevel(action="raise in the annual report", addressee="parliament", wait_days=60),
]


class DemoLoader:
    def __init__(self, executor: Executor, today: date, seed: int = 20240501) -> None:
        self.executor = executor
        self.today = today
        self.random = random.Random(seed)
        self.counter = 0
        self.states: Counter[str] = Counter()
        self.authorities: dict[str, UUID] = {}

    def run(self, command: Command, business_date: date, target: UUID | None = None) -> UUID:
        """Run one command as a member of the staff on `business_date`; the command ids
        count up from the seed, so a second load replays instead of appending."""
        self.counter += 1
        caller = Caller(f"demo:{self.random.choice(STAFF)}", Role.CASEWORKER.value)
        return self.executor.execute(
            command,
            caller,
            command_id=f"demo:{self.counter}",
            today=business_date,
            target_id=target,
        ).aggregate_id

    def load(self) -> str:
        start = self.today - timedelta(days=3 * 365)
        places: list[tuple[UUID, UUID, PlaceType]] = []
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
                    places.append((place_id, authority_id, place_type))

        # About one visit a month for three years, each followed by a report.
        visit_day = start + timedelta(days=10)
        while visit_day < self.today - timedelta(days=12):
            place_id, authority_id, _ = self.random.choice(places)
            self.visit(place_id, authority_id, visit_day)
            visit_day += timedelta(days=self.random.randint(20, 40))
        counts = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
        return f"{len(places)} places, {sum(self.states.values())} recommendations: {counts}"

    def visit(self, place_id: UUID, authority_id: UUID, day: date) -> None:
        end = day + timedelta(days=self.random.randint(0, 2))
        visit_id = self.run(
            RecordVisit(
                place_id=place_id,
                start_date=day,
                end_date=end,
                team=self.random.sample(STAFF, 3),
            ),
            day,
        )
        report_day = min(end + timedelta(days=self.random.randint(5, 20)), self.today)
        report_id = self.run(
            RegisterReport.model_validate(
                {
                    "kind": "visit_report",
                    "title": f"Report on the visit of {day.isoformat()}",
                    "report_date": report_day,
                    "visit_ids": [visit_id],
                }
            ),
            report_day,
        )
        sent = report_day < self.today - timedelta(days=5)
        if sent:
            self.run(
                SendReport(authority_id=authority_id, sent_on=report_day), report_day, report_id
            )
        for finding in self.random.sample(FINDINGS, self.random.randint(6, 10)):
            self.recommendation(
                authority_id, place_id, visit_id, report_id, report_day, sent, finding
            )

    def recommendation(
        self,
        authority_id: UUID,
        place_id: UUID,
        visit_id: UUID,
        report_id: UUID,
        report_day: date,
        sent: bool,
        finding: tuple[str, str, str, str],
    ) -> None:
        text, theme, group, nature = finding
        body = {
            "kind": "visit",
            "text": text,
            "authority_id": authority_id,
            "report_id": report_id,
            "place_id": place_id,
            "visit_id": visit_id,
            "tags": Tags(themes=[theme], vulnerable_groups=[group], problem_natures=[nature]),
            "staff": self.random.sample(STAFF, 2),
        }
        if not sent:
            rec_id = self.run(DraftRecommendation.model_validate(body), report_day)
            criteria = {c: self.random.random() > 0.15 for c in DOUBLE_SMART_CRITERIA}
            self.run(RecordReview(criteria=criteria), report_day, rec_id)
            self.states["draft"] += 1
            return
        rec_id = self.run(
            DraftRecommendation.model_validate({**body, "issued_on": report_day}), report_day
        )
        age = (self.today - report_day).days
        roll = self.random.random()
        if roll < 0.04:
            self.run(
                WithdrawRecommendation(reason="superseded by a thematic recommendation"),
                report_day + timedelta(days=3),
                rec_id,
            )
            self.states["withdrawn"] += 1
            return
        # Recent ones mostly await a reply; a share of older ones never got one (overdue).
        if age < 45 or roll < 0.12:
            if roll < 0.06 and age > 30:
                self.run(
                    ExtendReplyDeadline(new_due=self.today + timedelta(days=20)),
                    report_day + timedelta(days=25),
                    rec_id,
                )
            self.states["issued"] += 1
            return
        received = report_day + timedelta(days=self.random.randint(10, 40))
        position = self.random.choices(
            ["accepted", "partially_accepted", "rejected", "noted"], [6, 2, 1, 1]
        )[0]
        accepted = position in ("accepted", "partially_accepted")
        agreed = received + timedelta(days=self.random.randint(60, 240)) if accepted else None
        self.run(
            RecordResponse(
                received_on=received,
                position=position,  # type: ignore[arg-type]
                text=f"The authority has {position.replace('_', ' ')} the recommendation.",
                agreed_implementation_date=agreed,
            ),
            received,
            rec_id,
        )
        if self.random.random() < 0.3:
            self.run(
                MapStakeholder(
                    actor="Director of the institution",
                    power="high",  # type: ignore[arg-type]
                    interest=self.random.choice(["low", "medium", "high"]),  # type: ignore[arg-type]
                ),
                received,
                rec_id,
            )
        if age < 200 or self.random.random() < 0.35:
            self.states["responded"] += 1
            return
        follow_day = received + timedelta(days=self.random.randint(60, 150))
        self.run(
            RecordFollowUp(
                kind=self.random.choice(["visit", "letter", "meeting"]),  # type: ignore[arg-type]
                summary="Checked progress with the management of the institution.",
                happened_on=follow_day,
            ),
            follow_day,
            rec_id,
        )
        status = (
            self.random.choice(["implemented", "partially_implemented", "in_progress"])
            if accepted
            else "not_implemented"
        )
        reason = (
            self.random.choice(["budget", "resistance", "legal_obstacle"])
            if status in ("not_implemented", "partially_implemented")
            else None
        )
        self.run(
            AssessImplementation.model_validate(
                {
                    "status": status,
                    "non_implementation_reason": reason,
                    "assessed_on": follow_day,
                }
            ),
            follow_day,
            rec_id,
        )
        if status == "implemented" and self.random.random() < 0.6:
            self.run(VerifyImplementation(method="follow-up visit"), follow_day, rec_id)
            if self.random.random() < 0.7:
                self.run(CloseRecommendation(), follow_day + timedelta(days=7), rec_id)
                self.states["closed"] += 1
                return
        self.states["assessed"] += 1


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
DEMO_USERS: list[tuple[str, str, Role]] = [
    ("carla", "Carla Mendes (caseworker)", Role.CASEWORKER),
    ("hedda", "Hedda Lund (head of unit)", Role.COMPLIANCE),
    ("aude", "Aude Berger (auditor)", Role.AUDITOR),
    ("lia", "Lia Moss (Ministry of Justice liaison)", Role.AUTHORITY_LIAISON),
]


def issue_demo_tokens(executor: Executor, liaison_authority: UUID) -> list[tuple[str, Role, str]]:
    """Creates the demo users (once) and issues each a new token: (username, role, token)."""
    return [
        (
            username,
            role,
            issue_user_token(
                executor,
                username,
                display_name,
                role,
                label="rectrack up --demo",
                authority_id=liaison_authority if role is Role.AUTHORITY_LIAISON else None,
            ),
        )
        for username, display_name, role in DEMO_USERS
    ]
