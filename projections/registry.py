"""Every read model, by name. The projector runs these, rebuild and replay build these,
`projections status` lists these. To add a view, write it as projections/base.py says
and add one `ViewSpec` line here."""

from __future__ import annotations

from dataclasses import dataclass

from projections.base import View, ViewProjection, ViewRecorder
from projections.inbox import InboxProjection, InboxRecorder
from projections.places import PlacesProjection, PlacesRecorder
from projections.scorecard import ScorecardProjection, ScorecardRecorder
from projections.status import StatusProjection, StatusRecorder
from projections.timeline import TimelineProjection, TimelineRecorder
from projections.trends import TrendsProjection, TrendsRecorder


@dataclass(frozen=True)
class ViewSpec:
    projection_class: type[ViewProjection]
    recorder_class: type[ViewRecorder]

    def __post_init__(self) -> None:
        if self.projection_class.name != self.view.name:
            raise ValueError(
                f"{self.projection_class.__name__}.name must be {self.view.name!r}, the name "
                "of its view (it names the tracking table)"
            )

    @property
    def view(self) -> View:
        return self.recorder_class.view

    @property
    def name(self) -> str:
        return self.view.name


VIEWS: dict[str, ViewSpec] = {
    spec.name: spec
    for spec in (
        ViewSpec(StatusProjection, StatusRecorder),
        ViewSpec(ScorecardProjection, ScorecardRecorder),
        ViewSpec(TrendsProjection, TrendsRecorder),
        ViewSpec(PlacesProjection, PlacesRecorder),
        ViewSpec(TimelineProjection, TimelineRecorder),
        ViewSpec(InboxProjection, InboxRecorder),
    )
}


def select(names: list[str] | None) -> list[ViewSpec]:
    """The named views (all when None), or ValueError naming the unknown ones."""
    if not names:
        return list(VIEWS.values())
    unknown = [n for n in names if n not in VIEWS]
    if unknown:
        raise ValueError(f"unknown view(s): {', '.join(unknown)}; known views: {', '.join(VIEWS)}")
    return [VIEWS[n] for n in names]
