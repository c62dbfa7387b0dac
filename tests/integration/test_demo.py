"""The demo a newcomer lands on (`rectrack up --demo`, the README's run command): real
history written through the executor, texts that fit each type of place, reviews before
issue, answers, follow-ups and escalations over three years, a few items left for the
deadline workflows (a day's inbox), by named users; and loading it again appends nothing."""

from __future__ import annotations

from collections import Counter
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.place import Place
from domain.recommendation import Recommendation
from domain.user import User, user_id_for
from domain.values import (
    TERMINAL_STATUSES,
    ImplementationStatus,
    PlaceType,
    Position,
    RecommendationKind,
    Role,
    Status,
)
from services.adapters.credentials import verify_password
from services.application.executor import Executor
from services.application.store import Rectrack
from services.demo import give_demo_passwords, load_demo
from services.demo_texts import FINDINGS, URGENT

TODAY = date(2026, 11, 23)


# Words that belong to some types of place only: a recommendation for another type of place
# must not use them (the old demo told care homes to end solitary confinement for juveniles).
OWN_WORDS: dict[str, set[PlaceType]] = {
    "juvenile": {PlaceType.JUVENILE_INSTITUTION},
    "young person": {PlaceType.JUVENILE_INSTITUTION},
    "resident": {PlaceType.SOCIAL_CARE_HOME},
    "dementia": {PlaceType.SOCIAL_CARE_HOME},
    "patient": {PlaceType.PSYCHIATRIC_INSTITUTION},
    "prisoner": {PlaceType.PRISON, PlaceType.PRE_TRIAL_DETENTION},
    "police": {PlaceType.POLICE_CUSTODY},
    "migrant": {PlaceType.IMMIGRATION_DETENTION},
    "soldier": {PlaceType.MILITARY},
    "transit zone": {PlaceType.OTHER},
}


def demo_record(app: Rectrack) -> tuple[list[Recommendation], dict[str, Place]]:
    recommendations: list[Recommendation] = []
    places: dict[str, Place] = {}
    for notification in app.recorder.select_notifications(0, 100_000):
        if notification.originator_version != 1:
            continue
        aggregate: Aggregate = app.repository.get(UUID(str(notification.originator_id)))
        if isinstance(aggregate, Recommendation):
            recommendations.append(aggregate)
        elif isinstance(aggregate, Place):
            places[str(aggregate.id)] = aggregate
    return recommendations, places


def test_the_demo_tells_a_story_that_fits_each_place_and_is_loaded_once(
    app: Rectrack, executor: Executor
) -> None:
    loaded = load_demo(executor, TODAY)
    assert "recommendations" in loaded.summary
    assert "Ministry of Justice" in loaded.authorities
    recommendations, places = demo_record(app)
    assert len(recommendations) >= 150
    assert {p.place_type for p in places.values()} == {t.value for t in PlaceType}
    assert len({r.drafted_on.year for r in recommendations}) >= 3

    # Every text was written for the type of its place, and uses no word of another type.
    for rec in recommendations:
        place_type = PlaceType(places[str(rec.place_id)].place_type)
        written = [*FINDINGS[place_type], *([URGENT[place_type]] if place_type in URGENT else [])]
        assert any(rec.text.startswith(f.text) for f in written), rec.text
        for word, owners in OWN_WORDS.items():
            assert word not in rec.text.lower() or place_type in owners, (place_type, rec.text)

    # Every issued recommendation passed a Double-SMART review, by someone other than its
    # drafter, before it was issued; some drafts were reworked after a review.
    reworked = 0
    for rec in recommendations:
        events = list(app.events.get(rec.id))
        names = [type(e).__name__ for e in events]
        if rec.issued_on is None:
            continue
        issued_at = names.index("Issued")
        reviews = [e for e in events[:issued_at] if type(e).__name__.endswith("ReviewRecorded")]
        assert reviews, f"{rec.text!r} was issued without a review"
        assert all(reviews[-1].criteria.values())  # type: ignore[attr-defined]
        drafter = events[0].meta.actor_id  # type: ignore[attr-defined]
        assert {r.meta.actor_id for r in reviews}.isdisjoint({drafter})  # type: ignore[attr-defined]
        assert events[issued_at].meta.actor_id != drafter  # type: ignore[attr-defined]
        reworked += "Reformulated" in names[:issued_at]
    assert reworked >= 5

    # Every state, every position and every implementation status, over three years.
    assert set(Counter(r.status for r in recommendations)) == set(Status)
    assert {r.position for r in recommendations} >= set(Position)
    assert {r.implementation for r in recommendations} >= set(ImplementationStatus)
    assert sum(1 for r in recommendations if r.verified) >= 20
    assert sum(1 for r in recommendations if r.repeats_id) >= 3
    assert {r.kind for r in recommendations} == {
        RecommendationKind.VISIT,
        RecommendationKind.URGENT,
    }

    # Escalations of the past make sense: after the missed due date, answered afterwards.
    escalated = [r for r in recommendations if r.escalation_level]
    assert escalated
    for rec in escalated:
        names = [type(e).__name__ for e in app.events.get(rec.id)]
        assert names.index("ReplyDeadlineMissed") < names.index("Escalated")
        assert names.index("Escalated") < names.index("ResponseReceived")
    extended = [
        r
        for r in recommendations
        if any(type(e).__name__ == "ReplyDeadlineExtended" for e in app.events.get(r.id))
    ]
    assert len(extended) >= 5

    # The work left for the workflows is a day's inbox, not hundreds of items: a few
    # reports unanswered past their due date, a few implementations past their agreed date.
    overdue = [
        r
        for r in recommendations
        if r.status == Status.ISSUED and r.reply_due and r.reply_due < TODAY
    ]
    assert 2 <= len({r.report_id for r in overdue}) <= 5
    unverified = [
        r
        for r in recommendations
        if r.agreed_implementation_date
        and r.agreed_implementation_date < TODAY
        and r.status not in TERMINAL_STATUSES
        and not (r.implementation == ImplementationStatus.IMPLEMENTED and r.verified)
    ]
    assert 1 <= len(unverified) <= 8

    # Every event names its actor: a demo user with a display name, or the workflows.
    actors = {
        e.meta.actor_id  # type: ignore[attr-defined]
        for r in recommendations
        for e in app.events.get(r.id)
    }
    for actor in actors - {"system:deadline-workflow"}:
        user = app.find(User, UUID(actor))
        assert user is not None and " " in user.display_name

    before = app.recorder.max_notification_id()
    load_demo(executor, TODAY)
    assert app.recorder.max_notification_id() == before


def test_demo_users_one_per_role_each_with_a_working_password(
    app: Rectrack, executor: Executor
) -> None:
    justice = load_demo(executor, TODAY).authorities["Ministry of Justice"]
    first = give_demo_passwords(executor, justice)
    assert [role for _, role, _ in first] == [
        Role.CASEWORKER,
        Role.COMPLIANCE,
        Role.AUDITOR,
        Role.AUTHORITY_LIAISON,
    ]
    for username, role, password in first:
        user = app.find(User, user_id_for(username))
        assert user is not None and user.roles == {role}
        assert verify_password(user.password_hash, password)
    liaison = app.find(User, user_id_for("lia"))
    assert liaison is not None and liaison.authority_id == str(justice)
    # Given again, to the same users: new passwords.
    again = give_demo_passwords(executor, justice)
    assert [u for u, _, _ in again] == [u for u, _, _ in first]
    assert {t for _, _, t in again}.isdisjoint({t for _, _, t in first})
