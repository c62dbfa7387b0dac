"""The demo a newcomer lands on (`rectrack up --demo`, the README's run command): real
history written through the command models, recommendations in every state, some of them
overdue for a reply (which the deadline workflows then escalate), places of every type,
three years of work; and loading it again appends nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from domain.application import Rectrack
from domain.place import Place
from domain.recommendation import Recommendation
from domain.values import PlaceType, Status
from services.demo import load_demo

TODAY = date(2026, 11, 23)


def test_the_demo_has_every_state_overdue_replies_and_every_place_type(app: Rectrack) -> None:
    summary = load_demo(app, TODAY)
    assert "recommendations" in summary
    recommendations: list[Recommendation] = []
    places: list[Place] = []
    for notification in app.recorder.select_notifications(0, 100_000):
        if notification.originator_version != 1:
            continue
        aggregate = app.repository.get(UUID(str(notification.originator_id)))
        if isinstance(aggregate, Recommendation):
            recommendations.append(aggregate)
        elif isinstance(aggregate, Place):
            places.append(aggregate)
    statuses = Counter(r.status for r in recommendations)
    assert set(statuses) == set(Status)
    assert len(recommendations) >= 200
    overdue = [
        r
        for r in recommendations
        if r.status == Status.ISSUED and r.reply_due and r.reply_due < TODAY
    ]
    assert len(overdue) >= 5
    assert {p.place_type for p in places} == {t.value for t in PlaceType}
    years = {r.drafted_on.year for r in recommendations}
    assert len(years) >= 3
    # Every event says who did it and why it happened when it did.
    first = next(iter(app.events.get(recommendations[0].id)))
    assert first.meta.actor_id.startswith("demo:")

    before = app.recorder.max_notification_id()
    load_demo(app, TODAY)
    assert app.recorder.max_notification_id() == before
