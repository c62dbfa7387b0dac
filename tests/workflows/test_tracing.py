"""One trace from the caller's request to the deadline workflow's activity (the workflow
half): the relay, another process reading the log later, continues the trace the command
wrote into its events, Temporal's interceptor carries it into the workflow and its
activities, and the activity's command (the reminder it records) is in the same trace."""

from __future__ import annotations

from datetime import date
from typing import Any

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.recommendation import Recommendation
from services.adapters.tracing import temporal_interceptors, tracer
from services.application.executor import Executor
from services.application.store import Rectrack
from tests.builders import Commander, issued_recommendation, register_authority_command
from tests.workflows.conftest import TASK_QUEUE, skip_to
from workflows.relay import Relay
from workflows.worker import build_worker


def in_trace(spans: InMemorySpanExporter, trace_id: int) -> dict[str, Any]:
    return {s.name: s for s in spans.get_finished_spans() if s.context.trace_id == trace_id}


async def test_the_relay_carries_the_trace_into_the_workflow_and_its_activities(
    spans: InMemorySpanExporter,
    app: Rectrack,
    executor: Executor,
    skipping: WorkflowEnvironment,
) -> None:
    traced = Client(**{**skipping.client.config(), "interceptors": temporal_interceptors()})
    run = Commander(executor)
    relay = Relay(app, traced, task_queue=TASK_QUEUE, reminder_days=7)
    async with build_worker(traced, executor, TASK_QUEUE, cache_workflows=False):
        await skip_to(skipping, date(2030, 4, 1))
        authority_id = run(register_authority_command(period=30), on=date(2030, 4, 1)).aggregate_id
        with tracer().start_as_current_span("caseworker issues") as root:
            rec = issued_recommendation(run, authority_id, date(2030, 4, 1))
        await relay.deliver_pending()  # later, as the relay process would
        await skip_to(skipping, date(2030, 4, 26))  # past the reminder, a week before it is due

    trace_id = root.get_span_context().trace_id
    trace = in_trace(spans, trace_id)
    names = set(trace)
    assert any(n.startswith("relay ") for n in names), names
    assert any(n.startswith("SignalWithStartWorkflow:") for n in names), names
    assert any(n.startswith("RunWorkflow:") for n in names), names
    activities = [s for n, s in trace.items() if n.startswith("RunActivity:")]
    assert activities, names
    reminder = app.get(Recommendation, rec)
    assert reminder.reply_due == date(2030, 5, 2)
    recorded = [
        e
        for e in app.events.get(rec)
        if type(e).__name__ == "ReplyReminderSent" and e.meta.trace_parent
    ]
    assert len(recorded) == 1
    assert recorded[0].meta.trace_parent.split("-")[1] == f"{trace_id:032x}"
    command_spans = [
        s
        for s in spans.get_finished_spans()
        if s.name.startswith("command ") and s.context.trace_id == trace_id and s.parent
    ]
    activity_ids = {a.context.span_id for a in activities}
    assert any(s.parent.span_id in activity_ids for s in command_spans if s.parent)
