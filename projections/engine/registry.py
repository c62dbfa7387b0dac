"""Every read model, by name. The projector runs these, rebuild and replay build these,
`projections status` lists these. To add a view, write it as projections/base.py says
and add one `ViewSpec` line here."""

from __future__ import annotations

from dataclasses import dataclass, field

from projections.base import View
from projections.engine.recorder import (
    ViewProjection,
    ViewRecorder,
    projection_for,
    recorder_for,
)
from projections.views.inbox import InboxView
from projections.views.places import PlacesView
from projections.views.register import RegisterView
from projections.views.reports import ReportsView
from projections.views.scorecard import ScorecardView
from projections.views.statistics import StatisticsView
from projections.views.status import StatusView
from projections.views.trends import TrendsView


@dataclass(frozen=True)
class ViewSpec:
    """A view with the library classes that run it: its tracking recorder and its
    projection, named as the view (the name names the tracking table)."""

    view: View
    recorder_class: type[ViewRecorder] = field(init=False, repr=False)
    projection_class: type[ViewProjection] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "recorder_class", recorder_for(self.view))
        object.__setattr__(self, "projection_class", projection_for(self.view))

    @property
    def name(self) -> str:
        return self.view.name


VIEWS: dict[str, ViewSpec] = {
    spec.name: spec
    for spec in (
        ViewSpec(StatusView()),
        ViewSpec(ScorecardView()),
        ViewSpec(TrendsView()),
        ViewSpec(PlacesView()),
        ViewSpec(InboxView()),
        ViewSpec(ReportsView()),
        ViewSpec(RegisterView()),
        ViewSpec(StatisticsView()),
    )
}


RETIRED_TABLES = ("audit_events", "audit_state", "audit_tracking")
"""Tables of views that are no more, dropped by a rebuild and by the projector's start
(engine/shapes.py): the audit view's, now read from the events themselves
(projections/views/timeline.py)."""


def select(names: list[str] | None) -> list[ViewSpec]:
    """The named views (all when None), or ValueError naming the unknown ones."""
    if not names:
        return list(VIEWS.values())
    unknown = [n for n in names if n not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s): {', '.join(unknown)}; known views: {', '.join(VIEWS)}")
    return [VIEWS[n] for n in names]
