"""The publishable/internal split (domain/publication.py) covers everything a
recommendation holds: every field of the aggregate, of the API's answer and of the
status view's row, and every event the aggregate stores, is named one or the other, so
that a field or event added later is classified on purpose (fast: no database).

What the split *does* to a liaison's answers is walked route by route in
tests/api/test_roles.py."""

from __future__ import annotations

from domain.publication import (
    INTERNAL_EVENTS,
    INTERNAL_FIELDS,
    PUBLISHABLE_EVENTS,
    PUBLISHABLE_FIELDS,
    is_published,
    published_data,
    published_events,
)
from domain.recommendation import Recommendation
from projections.views.status import RECOMMENDATIONS
from services.api.views import PublishedRecommendationOut, RecommendationOut
from services.application.store import Rectrack
from tests.builders import Commander, authority, drafted_recommendation, issued_recommendation
from tests.fast.test_event_classes import stored_event_classes


def test_the_two_sets_do_not_overlap() -> None:
    assert not PUBLISHABLE_FIELDS & INTERNAL_FIELDS
    assert not set(PUBLISHABLE_EVENTS) & INTERNAL_EVENTS


def test_every_event_of_a_recommendation_is_classified() -> None:
    stored = stored_event_classes(Recommendation)
    assert stored == set(PUBLISHABLE_EVENTS) | INTERNAL_EVENTS


def test_every_field_is_classified(store: Rectrack, run: Commander) -> None:
    rec = store.get(Recommendation, issued_recommendation(run, authority(run)))
    held = {name for name in vars(rec) if not name.startswith("_")}
    answered = set(RecommendationOut.model_fields)
    listed = set(RECOMMENDATIONS.columns)
    unclassified = (held | answered | listed) - PUBLISHABLE_FIELDS - INTERNAL_FIELDS
    assert not unclassified


def test_the_liaisons_answer_holds_the_publishable_fields_only() -> None:
    published = set(PublishedRecommendationOut.model_fields)
    assert published == set(RecommendationOut.model_fields) & PUBLISHABLE_FIELDS
    assert {"staff", "review", "stakeholders", "tags", "escalation_level"}.isdisjoint(published)
    assert {"text", "status", "reply_due", "responses", "implementation"} <= published


def test_a_draft_is_not_published_and_history_starts_at_the_issue(
    store: Rectrack, run: Commander
) -> None:
    draft = store.get(Recommendation, drafted_recommendation(run, authority(run)))
    assert not is_published(draft)
    names = ["Drafted", "Reformulated", "Issued", "Escalated", "Reformulated", "Closed"]
    assert list(published_events((n, i) for i, n in enumerate(names))) == [2, 4, 5]
    assert published_data("Escalated", {"action": "raise in parliament"}) == {}
    assert published_data(
        "ImplementationAssessed",
        {"status": "not_implemented", "reason": "budget", "verification_method": "visit"},
    ) == {"status": "not_implemented"}
