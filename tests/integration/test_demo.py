"""The demo a newcomer lands on (`rectrack up --demo`, the README's run command): real
history written through the command models, recommendations in every state, some of them
overdue for a reply (which the deadline workflows then escalate), places of every type,
three years of work; and loading it again appends nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.place import Place
from domain.recommendation import Recommendation
from domain.user import User, user_id_for
from domain.values import PlaceType, Role, Status
from services.application.executor import Executor
from services.application.handlers.users import user_for_token
from services.application.store import Rectrack
from services.demo import issue_demo_tokens, load_demo

TODAY = date(2026, 11, 23)


def test_the_demo_has_every_state_overdue_replies_and_every_place_type(
    app: Rectrack, executor: Executor
) -> None:
    loaded = load_demo(executor, TODAY)
    assert "recommendations" in loaded.summary
    assert "Ministry of Justice" in loaded.authorities
    recommendations: list[Recommendation] = []
    places: list[Place] = []
    for notification in app.recorder.select_notifications(0, 100_000):
        if notification.originator_version != 1:
            continue
        aggregate: Aggregate = app.repository.get(UUID(str(notification.originator_id)))
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
    assert first.meta.actor_id.startswith("demo:")  # type: ignore[attr-defined]

    before = app.recorder.max_notification_id()
    load_demo(executor, TODAY)
    assert app.recorder.max_notification_id() == before


def test_demo_users_one_per_role_each_with_a_working_token(
    app: Rectrack, executor: Executor
) -> None:
    justice = load_demo(executor, TODAY).authorities["Ministry of Justice"]
    first = issue_demo_tokens(executor, justice)
    assert [role for _, role, _ in first] == [
        Role.CASEWORKER,
        Role.COMPLIANCE,
        Role.AUDITOR,
        Role.AUTHORITY_LIAISON,
    ]
    for username, role, token in first:
        user = user_for_token(app, token)
        assert user is not None and user.username == username and user.roles == {role}
    liaison = app.find(User, user_id_for("lia"))
    assert liaison is not None and liaison.authority_id == str(justice)
    # A second start issues new tokens to the same users.
    again = issue_demo_tokens(executor, justice)
    assert [u for u, _, _ in again] == [u for u, _, _ in first]
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in first})
