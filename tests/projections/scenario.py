"""A small, realistic store written through the executor, and a projector to follow it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg

from domain.values import (
    FollowUpKind,
    ImplementationStatus,
    PlaceType,
    Position,
    RecommendationKind,
    VisitKind,
)
from projections.engine.catchup import log_position, view_positions
from services.application.commands.recommendations import (
    AssessImplementation,
    DraftRecommendation,
    IssueRecommendation,
    RecordFollowUp,
    RecordResponse,
    Reiterate,
    Tags,
)
from services.application.commands.registry import RecordVisit, RegisterPlace
from services.application.executor import CommandResult
from services.stack import wait_until
from tests.builders import Commander, authority

TODAY = date(2026, 6, 1)


@dataclass
class Scenario:
    authority_id: UUID
    other_authority_id: UUID
    place_id: UUID
    visit_id: UUID
    answered: UUID  # issued 2026-01-05 (due 02-04), accepted on time, implemented + verified
    late: UUID  # issued 2026-01-05, rejected late on 2026-03-01
    overdue: UUID  # issued 2026-04-01 (due 05-01), no reply: overdue on TODAY
    draft: UUID  # a draft, thematic, other authority
    repeat: UUID  # repeats `late`, issued 2026-05-01
    last_notification: int


def reply(
    run: Commander,
    recommendation_id: UUID,
    received_on: date,
    position: Position,
    text: str,
    **more: Any,
) -> CommandResult:
    """The authority's reply to a recommendation, received (and dated) on `received_on`;
    `more`: the command's other fields (agreed_implementation_date, reason)."""
    command = RecordResponse(received_on=received_on, position=position, text=text, **more)
    return run(command, recommendation_id)


def build(run: Commander) -> Scenario:
    ministry = authority(run)
    other = authority(run, jurisdiction="FR")
    place = run(
        RegisterPlace(
            name="Prison A", place_type=PlaceType.PRISON, region="North", authority_id=ministry
        )
    ).aggregate_id
    visit = run(
        RecordVisit(
            place_id=place,
            start_date=date(2025, 12, 1),
            end_date=date(2025, 12, 2),
            kind=VisitKind.REGULAR,
            team=["ana", "ben"],
        )
    ).aggregate_id
    day = date(2026, 1, 5)

    def draft(
        text: str,
        tags: Tags,
        issued_on: date | None,
        *,
        kind: RecommendationKind = RecommendationKind.VISIT,
        authority_id: UUID = ministry,
        about_place: bool = True,
    ) -> UUID:
        command = DraftRecommendation(
            kind=kind,
            text=text,
            authority_id=authority_id,
            place_id=place if about_place else None,
            visit_id=visit if about_place else None,
            tags=tags,
            issued_on=issued_on,
        )
        return run(command, on=day).aggregate_id

    answered = draft(
        "Ensure daily access to fresh air",
        Tags(themes=["outdoor exercise"], vulnerable_groups=["women"]),
        day,
    )
    reply(
        run,
        answered,
        date(2026, 1, 20),
        Position.ACCEPTED,
        "Agreed",
        agreed_implementation_date=date(2026, 3, 1),
    )
    run(
        AssessImplementation(
            status=ImplementationStatus.IMPLEMENTED,
            verified=True,
            verification_method="follow-up visit",
        ),
        answered,
        on=date(2026, 3, 5),
    )
    late = draft("Install call buttons in every cell", Tags(themes=["health care"]), day)
    reply(run, late, date(2026, 3, 1), Position.REJECTED, "No budget", reason="letter arrived late")
    run(
        RecordFollowUp(kind=FollowUpKind.LETTER, summary="Asked again"),
        late,
        on=date(2026, 3, 10),
    )
    overdue = draft(
        "Train staff in de-escalation",
        Tags(themes=["outdoor exercise"], keywords=["training"]),
        date(2026, 4, 1),
    )
    drafted = draft(
        "Review solitary confinement rules",
        Tags(themes=["solitary confinement"]),
        None,
        kind=RecommendationKind.THEMATIC,
        authority_id=other,
        about_place=False,
    )
    repeat = draft(
        "Install call buttons in every cell (repeated)", Tags(themes=["health care"]), None
    )
    run(Reiterate(earlier_id=late), repeat, on=date(2026, 5, 1))
    last = run(IssueRecommendation(issued_on=date(2026, 5, 1)), repeat)
    assert last.notification_id is not None
    return Scenario(
        authority_id=ministry,
        other_authority_id=other,
        place_id=place,
        visit_id=visit,
        answered=answered,
        late=late,
        overdue=overdue,
        draft=drafted,
        repeat=repeat,
        last_notification=last.notification_id,
    )


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.02
) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    wait_until(condition, timeout, what, interval)


def positions(database_url: str, schema: str) -> tuple[dict[str, int], int]:
    with psycopg.connect(database_url) as conn:
        return view_positions(conn, schema), log_position(conn, schema)
