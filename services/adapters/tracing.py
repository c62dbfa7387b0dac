"""OpenTelemetry traces, optional by setting: one trace follows a change from the HTTP
request through the command, the event it records, the relay that delivers it, the
deadline workflow and the activities that record its decisions.

The processes are joined by what they already share. The API and the worker start spans
around requests and commands; a command writes the W3C `traceparent` of its span into
the metadata of the events it records (EventMeta.trace_parent), so the relay, reading
the log in another process later, continues the same trace; Temporal's own interceptor
(temporalio.contrib.opentelemetry) carries it on into workflows and activities. Every
log line written inside a span has its `trace_id` and `span_id`.

With no `RECTRACK_OTEL_ENDPOINT` nothing is exported and no interceptor is installed:
the spans are OpenTelemetry's no-op ones and event metadata carries no trace.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.adapters.settings import Settings

if TYPE_CHECKING:  # the SDK is imported when tracing is turned on: every process's start
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

_PROPAGATOR = TraceContextTextMapPropagator()


class _Tracing:
    """This process's tracer: OpenTelemetry's no-op one until `configure_tracing`. Kept
    here rather than as OpenTelemetry's global provider, which can be set only once per
    process (a test turns tracing on and off again)."""

    provider: TracerProvider | None = None
    tracer: trace.Tracer = trace.NoOpTracer()


def configure_tracing(
    settings: Settings, process: str, *, processor: SpanProcessor | None = None
) -> bool:
    """Trace this process (`api`, `worker`, `relay`, ...): spans exported over OTLP/HTTP
    to `otel_endpoint`, or to `processor` (a test's in-memory exporter). Returns whether
    tracing is on. A second call changes nothing."""
    if _Tracing.provider is not None:
        return True
    if processor is None and not settings.otel_endpoint:
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if processor is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otel_endpoint))
    provider = TracerProvider(resource=Resource.create({"service.name": f"rectrack-{process}"}))
    provider.add_span_processor(processor)
    _Tracing.provider = provider
    _Tracing.tracer = provider.get_tracer("rectrack")
    return True


def stop_tracing() -> None:
    """Flush and turn tracing off (at the end of a test that turned it on)."""
    if _Tracing.provider is not None:
        _Tracing.provider.shutdown()
    _Tracing.provider, _Tracing.tracer = None, trace.NoOpTracer()


def tracer() -> trace.Tracer:
    return _Tracing.tracer


def tracing_on() -> bool:
    """Whether spans are recorded (else opening one does nothing, at a cost)."""
    return _Tracing.provider is not None


def temporal_interceptors() -> list[Any]:
    """Temporal's tracing interceptor when tracing is on: it carries the trace from a
    client call into the workflow and its activities."""
    if _Tracing.provider is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    return [TracingInterceptor(tracer=_Tracing.tracer)]


def current_traceparent() -> str | None:
    """The W3C traceparent of the span in progress, or None outside any recorded span."""
    if not trace.get_current_span().get_span_context().is_valid:
        return None
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Make `traceparent` (from an event's metadata or a request header) the parent of
    the spans started inside."""
    if not traceparent:
        yield
        return
    token = otel_context.attach(_PROPAGATOR.extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        otel_context.detach(token)


def add_trace_ids(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """structlog processor: the trace and span ids of the span in progress, if any."""
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        event.setdefault("trace_id", format(span.trace_id, "032x"))
        event.setdefault("span_id", format(span.span_id, "016x"))
    return event
