"""A small, realistic store written through the domain, and a projector to follow it."""

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
from projections.catchup import log_position, view_positions
from services.application.store import Rectrack
from services.stack import wait_until
from tests.conftest import MetaFactory
from tests.integration.helpers import authority

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


def build(app: Rectrack, meta: MetaFactory) -> Scenario:
    ministry = authority(app, meta)
    other = authority(app, meta, jurisdiction="FR")
    place = app.register_place(
        meta(), name="Prison A", place_type=PlaceType.PRISON, region="North", authority_id=ministry
    ).aggregate_id
    visit = app.record_visit(
        meta(date(2025, 12, 1)),
        place_id=place,
        start_date=date(2025, 12, 1),
        end_date=date(2025, 12, 2),
        kind=VisitKind.REGULAR,
        team=["ana", "ben"],
    ).aggregate_id
    day = date(2026, 1, 5)

    def draft(text: str, tags: dict[str, list[str]], issued_on: date | None, **kw: Any) -> UUID:
        return app.draft_recommendation(
            meta(issued_on or day),
            kind=kw.pop("kind", RecommendationKind.VISIT),
            text=text,
            authority_id=kw.pop("authority_id", ministry),
            place_id=kw.pop("place_id", place),
            visit_id=kw.pop("visit_id", visit),
            tags=tags,
            issued_on=issued_on,
            **kw,
        ).aggregate_id

    answered = draft(
        "Ensure daily access to fresh air",
        {"themes": ["outdoor exercise"], "vulnerable_groups": ["women"]},
        day,
    )
    app.record_response(
        meta(date(2026, 1, 20)),
        answered,
        received_on=date(2026, 1, 20),
        position=Position.ACCEPTED,
        text="Agreed",
        agreed_implementation_date=date(2026, 3, 1),
    )
    app.assess_implementation(
        meta(date(2026, 3, 5)),
        answered,
        status=ImplementationStatus.IMPLEMENTED,
        verified=True,
        verification_method="follow-up visit",
    )
    late = draft("Install call buttons in every cell", {"themes": ["health care"]}, day)
    app.record_response(
        meta(date(2026, 3, 1), reason="letter arrived late"),
        late,
        received_on=date(2026, 3, 1),
        position=Position.REJECTED,
        text="No budget",
    )
    app.record_follow_up(
        meta(date(2026, 3, 10)), late, kind=FollowUpKind.LETTER, summary="Asked again"
    )
    overdue = draft(
        "Train staff in de-escalation",
        {"themes": ["outdoor exercise"], "keywords": ["training"]},
        date(2026, 4, 1),
    )
    drafted = draft(
        "Review solitary confinement rules",
        {"themes": ["solitary confinement"]},
        None,
        kind=RecommendationKind.THEMATIC,
        authority_id=other,
        place_id=None,
        visit_id=None,
    )
    repeat = draft(
        "Install call buttons in every cell (repeated)",
        {"themes": ["health care"]},
        None,
    )
    app.reiterate(meta(date(2026, 5, 1)), repeat, earlier_id=late)
    last = app.issue_recommendation(meta(date(2026, 5, 1)), repeat, issued_on=date(2026, 5, 1))
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
