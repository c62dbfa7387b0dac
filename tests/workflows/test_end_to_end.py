"""End to end on a real Temporal dev server (the `temporal` binary), real PostgreSQL and
the real processes' building blocks: a command through the domain, the relay, the
obligation workflow, its activities, the events in the store, the task in the inbox
projection, and a caseworker completing the task, which moves the workflow on to its end.

The dev server's clock is real, so the report is back-dated: its deadline and its one
escalation level lie in the past and the workflow owes them at once, with the real dates.
Waits are on conditions with timeouts: the store's LISTEN/NOTIFY subscription, the view's
tracking position, the workflow's result.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import psycopg
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.errors import IllegalTransition
from domain.values import EscalationLevel, RecommendationKind, ReportKind
from projections.engine.catchup import wait_until_caught_up
from projections.engine.runner import Projector
from projections.views.inbox import get_task, list_tasks
from services.adapters.settings import Settings
from services.application.commands.recommendations import DraftRecommendation
from services.application.commands.registry import RegisterReport, SendReport
from services.application.commands.tasks import ClaimTask, CompleteTask
from services.application.executor import Caller, Executor
from services.application.store import Rectrack
from tests.builders import Commander, register_authority_command
from workflows.converter import DATA_CONVERTER
from workflows.relay import Relay
from workflows.worker import binary, build_worker

pytestmark = pytest.mark.temporal

D = date
TASK_QUEUE = "rectrack-e2e"
TIMEOUT = 60.0


@pytest.fixture
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=binary("temporal"), data_converter=DATA_CONVERTER
    )
    yield env
    await env.shutdown()


@pytest.fixture
def inbox(settings: Settings, database_url: str) -> Iterator[Projector]:
    projector = Projector(settings, database_url, ["inbox"])
    projector.start()
    yield projector
    projector.stop()


@dataclass
class Running:
    client: Client
    relay: Relay


@pytest.fixture
async def running(
    app: Rectrack, executor: Executor, dev_server: WorkflowEnvironment
) -> AsyncIterator[Running]:
    """The worker and the relay, as `rectrack worker` and `rectrack relay` run them."""
    relay = Relay(app, dev_server.client, task_queue=TASK_QUEUE, reminder_days=7)
    stop = asyncio.Event()
    async with build_worker(dev_server.client, executor, TASK_QUEUE):
        following = asyncio.create_task(relay.run(stop, poll_seconds=0.1))
        yield Running(dev_server.client, relay)
        stop.set()
        await asyncio.wait_for(following, TIMEOUT)


def by(actor: str) -> Caller:
    return Caller(actor, "caseworker")


async def next_event(app: Rectrack, after: int, wanted: Callable[[Any], bool]) -> tuple[Any, int]:
    """The first event recorded after notification `after` that is `wanted`, and its
    notification id; waits on the store's subscription (LISTEN/NOTIFY), at most TIMEOUT."""

    def scan() -> tuple[Any, int] | None:
        with app.recorder.subscribe(gt=after) as subscription:
            timer = threading.Timer(TIMEOUT, subscription.stop)
            timer.start()
            try:
                for notification in subscription:
                    event = app.mapper.to_domain_event(notification)
                    if wanted(event):
                        return event, notification.id
            finally:
                timer.cancel()
        return None

    found = await asyncio.to_thread(scan)
    if found is None:
        raise AssertionError(f"no wanted event after notification {after} in {TIMEOUT}s")
    return found


def named(name: str) -> Callable[[Any], bool]:
    return lambda event: type(event).__qualname__ == name


async def test_command_relay_workflow_activity_store_inbox_and_back(
    app: Rectrack,
    run: Commander,
    running: Running,
    inbox: Projector,
    database_url: str,
    schema: str,
) -> None:
    authority_id = run(
        register_authority_command(
            ladder=[EscalationLevel("send escalation letter", "ministry", 30)]
        ),
        on=D(2024, 12, 1),
        command_id="authority",
    ).aggregate_id
    report_id = run(
        RegisterReport(
            kind=ReportKind.VISIT_REPORT, title="Visit to Prison B", report_date=D(2025, 1, 6)
        ),
        command_id="report",
    ).aggregate_id
    run(
        SendReport(authority_id=authority_id, sent_on=D(2025, 1, 6)),
        report_id,
        command_id="send",
    )
    rec = run(
        DraftRecommendation(
            kind=RecommendationKind.VISIT,
            text="Give every detainee an hour outdoors each day",
            authority_id=authority_id,
            report_id=report_id,
            issued_on=D(2025, 1, 6),
        ),
        command_id="draft",
    )
    workflow_id = f"obligation-{report_id}-{authority_id}"

    # relay -> workflow -> activities -> the store: a task opened by the workflow.
    opened, opened_at = await next_event(app, rec.notification_id or 0, named("Task.Opened"))
    assert (opened.workflow_id, opened.kind, opened.due_on) == (
        workflow_id,
        "send_escalation_letter",
        D(2025, 3, 8),
    )
    assert opened.meta.business_date == D(2025, 2, 6)
    assert opened.meta.actor_id == "system:deadline-workflow"
    decisions = [
        (type(e).__qualname__, e.meta.business_date, getattr(e, "due_on", None))
        for e in app.events.get(rec.aggregate_id)
        if type(e).__qualname__
        in ("Recommendation.ReplyDeadlineMissed", "Recommendation.Escalated")
    ]
    # 6 Jan + 30 days = 5 Feb; missed, and level 1 raised, on 6 Feb; no reminder replayed.
    assert decisions == [
        ("Recommendation.ReplyDeadlineMissed", D(2025, 2, 6), D(2025, 2, 5)),
        ("Recommendation.Escalated", D(2025, 2, 6), D(2025, 2, 5)),
    ]

    # ...and the inbox projection shows it, overdue first.
    wait_until_caught_up(database_url, schema, opened_at, timeout=TIMEOUT, names=["inbox"])
    with psycopg.connect(database_url, autocommit=True) as conn:
        items, total = list_tasks(conn, schema, role="caseworker", today=D(2025, 3, 10))
    assert total == 1
    (item,) = items
    assert (item["task_id"], item["state"], item["due_on"], item["overdue"]) == (
        opened.originator_id,
        "open",
        D(2025, 3, 8),
        True,
    )
    assert item["days_overdue"] == 2 and item["recommendation_ids"] == [str(rec.aggregate_id)]

    handle = running.client.get_workflow_handle(workflow_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    # One holder at a time; then the holder completes it, through the domain.
    task_id: UUID = opened.originator_id
    run(ClaimTask(), task_id, on=D(2025, 3, 10), command_id="claim-7", caller=by("caseworker-7"))
    with pytest.raises(IllegalTransition, match="claimed by caseworker-7"):
        run(
            ClaimTask(), task_id, on=D(2025, 3, 10), command_id="claim-8", caller=by("caseworker-8")
        )
    done = run(
        CompleteTask(outcome="escalation letter sent to the ministry"),
        task_id,
        on=D(2025, 3, 11),
        command_id="complete-7",
        caller=by("caseworker-7"),
    )

    # The relay delivers the completion; the workflow, waiting for its letter, ends.
    result = await asyncio.wait_for(handle.result(), TIMEOUT)
    assert result == "ended: escalation ladder exhausted"
    state = await handle.query("status")
    assert state["completed_tasks"] == [str(task_id)] and state["open_tasks"] == []
    assert running.relay.position >= (done.notification_id or 0)

    wait_until_caught_up(
        database_url, schema, done.notification_id or 0, timeout=TIMEOUT, names=["inbox"]
    )
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = get_task(conn, schema, task_id, today=D(2025, 3, 11))
        open_items, open_total = list_tasks(conn, schema, today=D(2025, 3, 11))
    assert row is not None
    assert (row["state"], row["assignee"], row["outcome"], row["closed_on"]) == (
        "completed",
        "caseworker-7",
        "escalation letter sent to the ministry",
        D(2025, 3, 11),
    )
    assert (open_items, open_total) == ([], 0)
