"""Deadline tests run on Temporal's time-skipping test server (months pass in seconds),
with the real worker, real activities and the real relay against real PostgreSQL; the
workflow-logic tests (test_workflow_logic.py) run the workflows alone, on fake activities.

Each test first skips the server's clock to a fixed day in 2030, so every date it asserts
is exact and the same whatever day the suite runs on."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from domain.values import DayKind, EscalationLevel, ReportKind
from services.application.commands.registry import RegisterReport, SendReport
from services.application.commands.tasks import ClaimTask, CompleteTask
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import Commander, issued_recommendation, register_authority_command
from workflows.converter import DATA_CONVERTER
from workflows.relay import Relay
from workflows.worker import Workers, binary, build_worker

HISTORIES = Path(__file__).parent / "histories"
TASK_QUEUE = "rectrack-test"


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def skip_to(env: WorkflowEnvironment, day: date) -> None:
    """Move the server's clock to 00:00 UTC of `day` (timers due meanwhile fire), or, if
    it is already that day, let a minute pass. Either way the call returns only after
    everything due was done: the server's clock stands still while a workflow or
    activity task is outstanding."""
    now = await env.get_current_time()
    await env.sleep(max(midnight(day) - now, timedelta(minutes=1)))


@pytest.fixture
async def skipping() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=binary("temporal-test-server"), data_converter=DATA_CONVERTER
    )
    yield env
    await env.shutdown()


@dataclass
class Deadlines:
    """The record, the relay and a running worker on one Temporal server; `run` runs a
    command as a caseworker (`run(command, target_id, on=day)`)."""

    app: Rectrack
    run: Commander
    env: WorkflowEnvironment
    relay: Relay
    worker: Workers | None = None

    @property
    def client(self) -> Client:
        return self.env.client

    async def skip_to(self, day: date) -> None:
        await skip_to(self.env, day)

    async def finish(self, handle: WorkflowHandle[Any, Any]) -> Any:
        """The workflow's result, skipping time while it waits (only the handles that
        start_workflow returns do that by themselves; the relay starts ours)."""
        async with self.env.time_skipping_unlocked():  # type: ignore[attr-defined]
            return await handle.result()

    async def state(self, handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
        """The workflow's state once it has handled everything delivered so far: a query
        waits for the workflow task a signal scheduled, so no polling is needed, and the
        time-skipping server holds its clock while that task is outstanding."""
        state: dict[str, Any] = await handle.query("status")
        return state

    async def close_tasks(
        self, handle: WorkflowHandle[Any, Any], on: date, outcome: str = "letter sent"
    ) -> list[UUID]:
        """Skip to `on`, then claim and complete, as a caseworker and through the domain,
        every task the workflow still waits for, and relay the completions."""
        await self.skip_to(on)
        task_ids = [UUID(t) for t in (await self.state(handle))["open_tasks"]]
        for task_id in task_ids:
            self.run(ClaimTask(), task_id, on=on)
            self.run(CompleteTask(outcome=outcome), task_id, on=on)
        await self.relay_all()
        return task_ids

    async def relay_all(self) -> None:
        await self.relay.deliver_pending()

    async def letters_batched(self, after: date) -> None:
        """The relay hands the steps' recorded events to their letter batches, and the
        clock moves on to `after` (past each batch's quiet window): their letters are
        written by then (workflows/letter_batch.py)."""
        await self.relay_all()
        await self.skip_to(after)

    def authority(
        self,
        *,
        period: int = 30,
        day_kind: DayKind = DayKind.CALENDAR,
        urgent: int = 5,
        ladder: list[EscalationLevel] | None = None,
        on: date = date(2029, 1, 1),
    ) -> UUID:
        command = register_authority_command(
            period=period, day_kind=day_kind, urgent=urgent, ladder=ladder
        )
        return self.run(command, on=on).aggregate_id

    def report_sent(
        self, authority_id: UUID, sent_on: date, recommendations: int = 2
    ) -> tuple[UUID, list[UUID]]:
        report_id = self.run(
            RegisterReport(
                kind=ReportKind.VISIT_REPORT, title="Visit to Prison A", report_date=sent_on
            ),
            on=sent_on,
        ).aggregate_id
        self.run(SendReport(authority_id=authority_id, sent_on=sent_on), report_id, on=sent_on)
        recs = [
            issued_recommendation(
                self.run, authority_id, sent_on, text=f"Recommendation {n}", report_id=report_id
            )
            for n in range(recommendations)
        ]
        return report_id, recs

    def events(self, aggregate_id: UUID) -> list[tuple[str, date, dict[str, Any]]]:
        """(event name, business date, selected fields) of an aggregate, in order."""
        out = []
        for event in self.app.events.get(aggregate_id):
            name = type(event).__qualname__.partition(".")[2]
            fields = {
                k: v
                for k, v in vars(event).items()
                if k in ("due_on", "level", "addressee", "new_due", "reply_due")
                # an escalation's due date is its letter's (relay_letters.py), not the step
                and not (k == "due_on" and name == "Escalated")
            }
            out.append((name, event.meta.business_date, fields))
        return out

    def decisions(self, recommendation_id: UUID) -> list[tuple[str, date, dict[str, Any]]]:
        workflow_made = {
            "ReplyReminderSent",
            "ReplyDeadlineMissed",
            "Escalated",
            "ImplementationOverdue",
        }
        return [e for e in self.events(recommendation_id) if e[0] in workflow_made]


@pytest.fixture
async def deadlines(
    app: Rectrack, executor: Executor, skipping: WorkflowEnvironment
) -> AsyncIterator[Deadlines]:
    relay = Relay(app, skipping.client, task_queue=TASK_QUEUE, reminder_days=7)
    harness = Deadlines(app, Commander(executor), skipping, relay)
    async with build_worker(skipping.client, executor, TASK_QUEUE, cache_workflows=False) as worker:
        harness.worker = worker
        await harness.skip_to(date(2030, 4, 1))
        yield harness


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """With RECTRACK_RECORD_HISTORIES=1, keep this run's history for the replay test."""
    if os.environ.get("RECTRACK_RECORD_HISTORIES") != "1":
        return
    history = await handle.fetch_history()
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(
        json.dumps(json.loads(history.to_json()), indent=1) + "\n"
    )


@pytest.fixture
def histories() -> Iterator[Path]:
    yield HISTORIES
