"""The reconciliation on a Temporal schedule: every `RECTRACK_RECONCILE_MINUTES` the
schedule starts a ReconcileWorkflow, whose one activity runs workflows/reconcile.py as
`rectrack workflows reconcile` does. The worker creates the schedule when it starts (or
sets its interval, if it exists); a run still going when the next is due is skipped."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import structlog
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from services.application.executor import Executor
from workflows.reconcile import Reconciliation
from workflows.reconcile_workflow import ReconcileWorkflow
from workflows.relay import Relay

log = structlog.get_logger(__name__)

SCHEDULE_ID = "rectrack-reconcile"


class ReconcileActivities:
    def __init__(
        self, client: Client, executor: Executor, *, task_queue: str, reminder_days: int
    ) -> None:
        self.client = client
        self.executor = executor
        self.task_queue = task_queue
        self.reminder_days = reminder_days

    @activity.defn(name="reconcile")
    async def reconcile(self) -> str:
        relay = Relay(
            self.executor.store,
            self.client,
            task_queue=self.task_queue,
            reminder_days=self.reminder_days,
        )
        beating = asyncio.create_task(_beat_while_running())
        try:
            report = await Reconciliation(relay, self.executor).run(date.today())
        finally:
            beating.cancel()
        summary = report.summary()
        log.info("reconciliation done", restarted=len(report.restarted), checked=report.checked)
        return summary


async def _beat_while_running(every: float = 5.0) -> None:
    """A killed worker stops beating, so its run is retried after the heartbeat timeout
    (workflows/reconcile_workflow.py) rather than after the hour-long run timeout."""
    while True:
        activity.heartbeat()
        await asyncio.sleep(every)


def reconcile_schedule(task_queue: str, minutes: int) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ReconcileWorkflow.run, id=SCHEDULE_ID, task_queue=task_queue
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(minutes=minutes))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def ensure_schedule(client: Client, task_queue: str, minutes: int) -> None:
    """Creates the schedule, or sets the existing one to `minutes`; with 0, deletes it."""
    handle = client.get_schedule_handle(SCHEDULE_ID)
    if minutes <= 0:
        try:
            await handle.delete()
        except Exception:  # none to delete
            log.debug("no reconciliation schedule to delete")
        return
    schedule = reconcile_schedule(task_queue, minutes)
    try:
        await client.create_schedule(SCHEDULE_ID, schedule)
        log.info("reconciliation scheduled", every_minutes=minutes)
    except ScheduleAlreadyRunningError:

        def update(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await handle.update(update)
        log.info("reconciliation schedule updated", every_minutes=minutes)
