"""One trace from the caller's request to the deadline workflow's activity (the API half):
the API's span continues the caller's traceparent, the command is its child and writes the
trace into the events it records; log lines inside a span carry its ids. The relay and
workflow half is tests/workflows/test_tracing.py."""

from __future__ import annotations

import json

import pytest
import structlog
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from services.adapters.log_config import configure_logging
from services.adapters.settings import Settings
from services.adapters.tracing import tracer
from services.application.store import Rectrack
from tests.api.conftest import bearer
from tests.builders import register_authority_command

CALLER_TRACE = "0af7651916cd43dd8448eb211c80319c"
CALLER = f"00-{CALLER_TRACE}-b7ad6b7169203331-01"


def test_the_api_continues_the_callers_trace_into_the_command_and_its_events(
    spans: InMemorySpanExporter,
    client: TestClient,
    admin_token: str,
    app: Rectrack,
) -> None:
    headers = {**bearer(admin_token), "traceparent": CALLER}
    body = register_authority_command().model_dump(mode="json")
    answer = client.post("/api/v1/authorities", json=body, headers=headers)
    assert answer.status_code == 201, answer.text

    trace = {
        s.name: s for s in spans.get_finished_spans() if s.context.trace_id == int(CALLER_TRACE, 16)
    }
    server = trace["POST /api/v1/authorities"]
    command = trace["command RegisterAuthority"]
    assert server.parent is not None and server.parent.span_id == int("b7ad6b7169203331", 16)
    assert command.parent is not None and command.parent.span_id == server.context.span_id
    authority_id = answer.json()["id"]
    (event,) = app.events.get(authority_id)
    assert event.meta.trace_parent == f"00-{CALLER_TRACE}-{command.context.span_id:016x}-01"


def test_log_lines_inside_a_span_carry_its_ids(
    spans: InMemorySpanExporter, settings: Settings, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging(settings.model_copy(update={"log_format": "json"}))
    try:
        structlog.get_logger("test").info("outside")
        with tracer().start_as_current_span("a request") as span:
            structlog.get_logger("test").info("inside")
        lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if "{" in line]
    finally:
        structlog.reset_defaults()
    by_event = {line["event"]: line for line in lines}
    context = span.get_span_context()
    assert by_event["inside"]["trace_id"] == f"{context.trace_id:032x}"
    assert by_event["inside"]["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in by_event["outside"]
