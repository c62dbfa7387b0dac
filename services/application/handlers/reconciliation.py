"""Handler of the reconciliation's command."""

from __future__ import annotations

from domain.reconciliation import WorkflowRestart
from services.application.commands.reconciliation import RecordWorkflowRestart
from services.application.handlers.table import Context, handles


@handles(RecordWorkflowRestart)
def record_workflow_restart(ctx: Context, c: RecordWorkflowRestart) -> WorkflowRestart:
    return WorkflowRestart(
        meta=ctx.meta,
        workflow_id=c.workflow_id,
        found_run_id=c.found_run_id,
        found_status=c.found_status,
        recommendation_ids=[str(r) for r in c.recommendation_ids],
    )
