"""Every event the read models and the workflow relay name is an event the domain
stores, and every recommendation event has a label (fast: no database).

Views are dispatched by the topic an event class is stored under, so a handler declared
for a class the domain no longer triggers would never run again, silently; and a
recommendation event without a label would be left out of every recommendation view.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import pytest
from eventsourcing.domain import Aggregate, CommandMethodDecorator

import domain
from domain.recommendation import Recommendation
from projections import events
from projections.base import View, on
from projections.engine import as_of
from projections.engine.registry import VIEWS
from projections.views import recommendation_fields
from workflows.relay import ROUTES


def stored_event_classes(aggregate: type[Aggregate]) -> set[type]:
    """The classes the aggregate's @event decorators trigger: what its events are
    stored as. (A class given to @event is redefined on the aggregate by the library;
    the aggregate's attribute is the one its events are made of.)"""
    classes: set[type] = set()
    for attribute in vars(aggregate).values():
        if isinstance(attribute, CommandMethodDecorator):
            given = attribute.given_event_cls
            name = given.__name__ if given is not None else attribute.event_cls_name
            classes.add(getattr(aggregate, name))
    return classes


def domain_aggregates() -> Iterator[type[Aggregate]]:
    for module_info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"{domain.__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Aggregate)
                and value.__module__ == module.__name__
            ):
                yield value


DOMAIN_EVENTS = {
    cls for aggregate in domain_aggregates() for cls in stored_event_classes(aggregate)
}
RECOMMENDATION_EVENTS = stored_event_classes(Recommendation)


def test_the_domain_has_the_aggregates_and_events_looked_for() -> None:
    names = {aggregate.__name__ for aggregate in domain_aggregates()}
    assert {"Authority", "Place", "Visit", "Report", "Recommendation", "Task"} <= names
    assert len(RECOMMENDATION_EVENTS) >= 18


@pytest.mark.parametrize("name", list(VIEWS))
def test_each_view_handles_only_events_the_domain_stores(name: str) -> None:
    handled = VIEWS[name].view.handled
    assert handled, f"view {name} handles no event"
    strays = sorted(cls.__qualname__ for cls in handled - DOMAIN_EVENTS)
    assert strays == [], f"view {name} handles events the domain does not store: {strays}"


def test_every_recommendation_event_has_a_label_and_every_label_an_event() -> None:
    labels = set(recommendation_fields.LABELS)
    unlabelled = sorted(cls.__qualname__ for cls in RECOMMENDATION_EVENTS - labels)
    assert unlabelled == [], f"recommendation events without a label: {unlabelled}"
    strays = sorted(cls.__qualname__ for cls in labels - RECOMMENDATION_EVENTS)
    assert strays == [], f"labels of classes that are no recommendation event: {strays}"


def test_the_relay_routes_only_events_the_domain_stores() -> None:
    assert len(ROUTES) >= 10
    strays = sorted(cls.__qualname__ for cls in set(ROUTES) - DOMAIN_EVENTS)
    assert strays == [], f"the relay routes events the domain does not store: {strays}"


@pytest.mark.parametrize(
    "table",
    [recommendation_fields._RULES, as_of._STATUS_EVENTS],
    ids=["field rules", "as-of status events"],
)
def test_other_tables_name_recommendation_events(table: object) -> None:
    assert isinstance(table, dict | tuple)
    strays = sorted(cls.__qualname__ for cls in set(table) - RECOMMENDATION_EVENTS)
    assert strays == []


def test_a_handler_is_declared_with_classes_not_names() -> None:
    with pytest.raises(TypeError, match="domain event classes"):
        on("Recommendation.Issued")  # type: ignore[arg-type]

    class Probe(View):
        name = "probe"
        tables = ()

        @on(events.Recommendation.Issued)
        def issued(self, fact: object, rows: object) -> None: ...

    assert Probe.handled == {events.Recommendation.Issued}
    assert Probe().handles("domain.recommendation:Recommendation.Issued")
