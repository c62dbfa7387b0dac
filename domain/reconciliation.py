"""The reconciliation's record: a deadline workflow that the events say should be
running, found missing or ended abnormally in Temporal, and restarted from the facts.

One WorkflowRestart per run of a workflow found wanting (its id made of the workflow id
and the run found, or "missing"), so a second reconciliation that finds the same run
records nothing twice; a later failure of the restarted run is a new run, and a new
record. Kept apart from the recommendation: a restart is the system mending itself, not
a fact about the recommendation, and nothing of it is publishable."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.values import EventMeta

MISSING = "missing"


class WorkflowRestart(Aggregate):
    @staticmethod
    def create_id(workflow_id: str, found_run_id: str, **_: object) -> UUID:
        return uuid5(NAMESPACE_URL, f"rectrack:workflow-restart:{workflow_id}:{found_run_id}")

    @event("Restarted")
    def __init__(
        self,
        meta: EventMeta,
        workflow_id: str,
        found_run_id: str,
        found_status: str,
        recommendation_ids: list[str],
    ) -> None:
        if not workflow_id:
            raise InvalidInput("workflow_id", "is required")
        if not recommendation_ids:
            raise InvalidInput("recommendation_ids", "must name the recommendations it serves")
        self.workflow_id = workflow_id
        self.found_run_id = found_run_id
        self.found_status = found_status
        self.recommendation_ids = list(recommendation_ids)
        self.restarted_on = meta.business_date
