"""The reconciliation on its Temporal schedule (dev server: the time-skipping server has
no schedules): the worker's schedule runs the ReconcileWorkflow, whose activity restarts a
terminated obligation and records the restart; creating the schedule again changes it
rather than failing."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from services.application.store import Rectrack
from tests.builders import Commander, issued_recommendation, register_authority_command
from tests.workflows.test_end_to_end import (  # noqa: F401 (fixtures)
    TASK_QUEUE,
    TIMEOUT,
    Running,
    dev_server,
    named,
    next_event,
    running,
)
from workflows.reconcile_schedule import SCHEDULE_ID, ensure_schedule

pytestmark = pytest.mark.temporal


async def started(client: Client, workflow_id: str) -> None:
    """Wait, at most TIMEOUT, until the relay has started the workflow."""
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    while True:
        try:
            await client.get_workflow_handle(workflow_id).describe()
            return
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:
                raise
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{workflow_id} not started in {TIMEOUT}s") from e
        await asyncio.sleep(0.1)


async def test_the_schedule_restarts_a_terminated_obligation(
    app: Rectrack,
    run: Commander,
    running: Running,  # noqa: F811 (the fixture)
) -> None:
    authority_id = run(register_authority_command(), on=date(2024, 12, 1)).aggregate_id
    rec = issued_recommendation(run, authority_id, date.today(), text="Open the yard")
    wid = f"obligation-recommendation-{rec}"
    # The fixture's relay loop starts the obligation; delivering here as well would race
    # it for the relay's tracking row.
    await started(running.client, wid)
    await running.client.get_workflow_handle(wid).terminate("lost in an incident")
    after = app.recorder.max_notification_id() or 0

    await ensure_schedule(running.client, TASK_QUEUE, 60)
    await ensure_schedule(running.client, TASK_QUEUE, 30)  # exists: updated, not an error
    schedule = running.client.get_schedule_handle(SCHEDULE_ID)
    spec = (await schedule.describe()).schedule.spec
    assert [i.every for i in spec.intervals] == [timedelta(minutes=30)]
    await schedule.trigger()

    restarted, _ = await next_event(app, after, named("WorkflowRestart.Restarted"))
    assert (restarted.workflow_id, restarted.found_status) == (wid, "terminated")
    status = (await running.client.get_workflow_handle(wid).describe()).status
    assert status == WorkflowExecutionStatus.RUNNING
    await ensure_schedule(running.client, TASK_QUEUE, 0)  # 0: no schedule
    with pytest.raises(Exception, match="not found"):
        await schedule.describe()
