"""The scheduled reconciliation's workflow: one activity, `reconcile`, that does the work
(workflows/reconcile_schedule.py). Kept alone in its module, because the workflow sandbox
re-imports the module a workflow is defined in."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

RUN_TIMEOUT = timedelta(hours=1)
HEARTBEAT_TIMEOUT = timedelta(seconds=30)  # the activity beats every 5 s while it runs


@workflow.defn
class ReconcileWorkflow:
    @workflow.run
    async def run(self) -> str:
        summary: str = await workflow.execute_activity(
            "reconcile",
            start_to_close_timeout=RUN_TIMEOUT,
            heartbeat_timeout=HEARTBEAT_TIMEOUT,
            result_type=str,
        )
        return summary
