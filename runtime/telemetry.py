"""OpenTelemetry tracing: OTLP when configured, else a JSON-lines file per service under LEAF_HOME/traces."""
from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

from runtime.home import home_path

FILE_EXPORT_DELAY_MS = 500


class JsonLinesSpanExporter(SpanExporter):
    """Writes one compact JSON object per finished span, so `leaf trace` can join a trace across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(_span_record(s), separators=(",", ":")) + "\n" for s in spans).encode("utf-8")
        # One append-mode write per batch: several processes of one service (gateway workers) share the file.
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, lines)
            finally:
                os.close(fd)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:  # nothing buffered
        return None


def _span_record(span: ReadableSpan) -> dict:
    ctx = span.get_span_context()
    assert ctx is not None  # a span the SDK has ended always has its context
    return {
        "trace_id": format(ctx.trace_id, "032x"),
        "span_id": format(ctx.span_id, "016x"),
        "parent_id": format(span.parent.span_id, "016x") if span.parent else None,
        "service": span.resource.attributes.get("service.name"),
        "name": span.name,
        "start": span.start_time,
        "end": span.end_time,
        "status": span.status.status_code.name,
    }


def setup_tracing(service: str) -> TracerProvider:
    """Install the process-wide tracer provider for `service` (idempotent per process)."""
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    provider = TracerProvider(resource=Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service)}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        # Batched in a background thread, off the request path; written twice a second so `leaf trace` sees a
        # request's spans moments after it, and flushed when the process exits.
        provider.add_span_processor(BatchSpanProcessor(JsonLinesSpanExporter(home_path("traces", f"{service}.jsonl")),
                                                       schedule_delay_millis=FILE_EXPORT_DELAY_MS))
    trace.set_tracer_provider(provider)
    return provider


def current_trace_id() -> str:
    """The 32-hex trace id of the active span, or "" outside a trace."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else ""


def current_span_id() -> str:
    """The 16-hex id of the active span, or "" outside a trace: what a later span names as its parent."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.span_id, "016x") if ctx.is_valid else ""


def continued_span(tracer_name: str, name: str, trace_id: str, parent_span_id: str):
    """A span that continues a trace begun elsewhere, earlier (a task's work continues the request that submitted
    it): the child of span `parent_span_id` of trace `trace_id`; a new trace when either is unknown. Use it as a
    context manager; calls made inside carry the trace on."""
    tracer = trace.get_tracer(tracer_name)
    try:
        parent = trace.SpanContext(int(trace_id, 16), int(parent_span_id, 16), is_remote=True,
                                   trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED))
    except ValueError:
        parent = trace.INVALID_SPAN_CONTEXT
    context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent.is_valid else None
    return tracer.start_as_current_span(name, context=context)
