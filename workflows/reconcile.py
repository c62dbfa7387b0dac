"""The reconciliation: compares the events with Temporal. Every recommendation awaiting
a reply needs its reply obligation running, and every one with an agreed implementation
date not yet verified its implementation follow-up; a workflow that Temporal does not
know, or that was terminated, failed, cancelled or timed out, is restarted and the
restart recorded (domain/reconciliation.py). A completed workflow is left alone (an
obligation ends legitimately with its ladder exhausted), and so is a running one.

It reads the event log up to the relay's position (later events are the relay's to
deliver) and routes it with the relay's own routes, so it derives the same workflow ids
and the same facts. A restart re-delivers, in log order, every fact the relay delivered
to that workflow: the new run rebuilds its state from them, and its decisions and tasks
carry the command ids the first run used, so nothing already recorded is recorded again.
The restart record's id is made of the workflow id and the run found, so a second
reconciliation restarts and records nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

import structlog
from eventsourcing.utils import get_topic
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.errors import NotFound
from domain.recommendation import Recommendation
from domain.reconciliation import MISSING, WorkflowRestart
from domain.values import Position, Role, Status
from services.adapters.settings import Settings
from services.application.commands.reconciliation import RecordWorkflowRestart
from services.application.executor import Caller, Executor
from workflows.messages import Fact
from workflows.relay import ROUTES, Delivery, Relay, Target

log = structlog.get_logger(__name__)

SYSTEM = Caller("system:reconciliation", Role.SYSTEM.value)
RESTARTABLE = {
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.CANCELED,
    WorkflowExecutionStatus.TIMED_OUT,
}
PAGE = 1000


@dataclass
class Finding:
    workflow_id: str
    recommendation_ids: list[str]
    found: str  # "running", "completed", "terminated", ..., or "missing"
    restarted: bool = False


@dataclass
class Report:
    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def restarted(self) -> list[Finding]:
        return [f for f in self.findings if f.restarted]

    def summary(self) -> str:
        """What was found and done, for an operator."""
        lines = [f"{self.checked} workflow(s) called for by the record, checked in Temporal."]
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding.found] = counts.get(finding.found, 0) + 1
        lines.extend(f"  {found}: {n}" for found, n in sorted(counts.items()))
        for finding in self.restarted:
            lines.append(
                f"restarted {finding.workflow_id} (was {finding.found}) for "
                f"{len(finding.recommendation_ids)} recommendation(s)"
            )
        completed = counts.get("completed", 0)
        if completed:
            lines.append(f"left alone: {completed} completed workflow(s) (e.g. a ladder exhausted)")
        if not self.restarted:
            lines.append("Nothing to restart.")
        return "\n".join(lines)


def needs_workflow(rec: Recommendation, target: Target) -> bool:
    """Whether the record says this recommendation's workflow of `target` must run."""
    if target == Target.OBLIGATION:
        return rec.status == Status.ISSUED and rec.reply_due is not None
    if target == Target.IMPLEMENTATION:
        return (
            rec.status in (Status.RESPONDED, Status.ASSESSED)
            and rec.position in (Position.ACCEPTED, Position.PARTIALLY_ACCEPTED)
            and rec.agreed_implementation_date is not None
            and not rec.verified
        )
    return False


class Reconciliation:
    def __init__(self, relay: Relay, executor: Executor) -> None:
        self.relay = relay
        self.executor = executor
        self.app = relay.app
        self.client = relay.client
        self._topics = sorted(get_topic(cls) for cls in ROUTES)

    def deliveries(self) -> dict[str, list[Delivery]]:
        """Every delivery the relay has made so far, by workflow id, in log order."""
        by_workflow: dict[str, list[Delivery]] = {}
        end = self.relay.position
        start = 0
        while start < end:
            notifications = self.app.recorder.select_notifications(
                start=start,
                limit=PAGE,
                stop=end,
                topics=self._topics,
                inclusive_of_start=False,
            )
            if not notifications:
                break
            for notification in notifications:
                event = self.app.mapper.to_domain_event(notification)
                for delivery in self.relay.route(event):
                    by_workflow.setdefault(delivery.workflow_id, []).append(delivery)
            start = notifications[-1].id
        return by_workflow

    def wanted(self, workflow_id: str, deliveries: list[Delivery]) -> list[str]:
        """The recommendations for which the record says this workflow must run."""
        target = deliveries[0].workflow
        recs = sorted({d.recommendation_id for d in deliveries if d.recommendation_id})
        out = []
        for rec_id in recs:
            try:
                rec = self.app.get(Recommendation, UUID(rec_id))
            except NotFound:
                continue
            if needs_workflow(rec, target):
                out.append(rec_id)
        return out

    async def found(self, workflow_id: str) -> tuple[str, str]:
        """(status, run id) of the workflow's latest run; ("missing", "missing")."""
        try:
            described = await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status == RPCStatusCode.NOT_FOUND:
                return MISSING, MISSING
            raise
        status = described.status
        name = status.name.lower() if status is not None else "unknown"
        if status in RESTARTABLE:
            return name, described.run_id
        return name, ""

    async def restart(self, deliveries: list[Delivery]) -> None:
        """Start a new run with the first fact (the id may be reused), then deliver the
        rest through the relay's own path, in order."""
        first, *rest = deliveries
        if first.workflow == Target.OBLIGATION:
            await self.relay._start_obligation(first, WorkflowIDReusePolicy.ALLOW_DUPLICATE)
        else:
            await self.relay._deliver(first)
        for delivery in rest:
            await self.relay._deliver(delivery)

    async def run(self, today: date, progress: Callable[[int, int], None] | None = None) -> Report:
        by_workflow = await asyncio.to_thread(self.deliveries)
        report = Report()
        total = len(by_workflow)
        for n, (workflow_id, deliveries) in enumerate(by_workflow.items(), start=1):
            if progress is not None:
                progress(n, total)
            if deliveries[0].workflow == Target.TASK:
                continue
            wanted = await asyncio.to_thread(self.wanted, workflow_id, deliveries)
            if not wanted:
                continue
            report.checked += 1
            status, run_id = await self.found(workflow_id)
            finding = Finding(workflow_id, wanted, status)
            report.findings.append(finding)
            if not run_id:
                continue
            startable = self._startable(deliveries)
            if not startable:
                continue
            await self.restart(startable)
            finding.restarted = True
            await asyncio.to_thread(self._record, finding, run_id, today)
            log.info("workflow restarted", workflow_id=workflow_id, found=status)
        return report

    def _startable(self, deliveries: list[Delivery]) -> list[Delivery]:
        """The deliveries from the first fact that starts the workflow on."""
        starts = {Fact.SENT, Fact.JOINED, Fact.AGREED}
        for index, delivery in enumerate(deliveries):
            if delivery.event.kind in starts:
                return deliveries[index:]
        return []

    def _record(self, finding: Finding, run_id: str, today: date) -> None:
        restart_id = WorkflowRestart.create_id(finding.workflow_id, run_id)
        self.executor.execute(
            RecordWorkflowRestart(
                workflow_id=finding.workflow_id,
                found_run_id=run_id,
                found_status=finding.found,
                recommendation_ids=[UUID(r) for r in finding.recommendation_ids],
                reason=f"{finding.workflow_id} was {finding.found} in Temporal",
            ),
            SYSTEM,
            command_id=f"reconcile:{restart_id}",
            today=today,
        )


async def reconcile(
    settings: Settings,
    executor: Executor,
    client: Client,
    *,
    today: date,
    fire_at_seconds: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """One reconciliation, with a relay built as `rectrack relay` builds it."""
    relay = Relay(
        executor.store,
        client,
        task_queue=settings.task_queue,
        reminder_days=settings.reminder_days_before_due,
        fire_at_seconds=fire_at_seconds,
    )
    return await Reconciliation(relay, executor).run(today, progress)
