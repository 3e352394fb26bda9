"""JSON log lines: trace ids inside a span, redaction of PHI and secret keys."""
import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from runtime.logs import JsonFormatter


def line(**extra) -> dict:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "claims loaded", None, None)
    record.__dict__.update(extra)
    return json.loads(JsonFormatter("calc").format(record))


def test_member_ids_and_secrets_never_reach_a_line():
    logged = line(member_id="M123", token="abc", rows=5)
    assert logged["member_id"] == "[redacted]" and logged["token"] == "[redacted]" and logged["rows"] == 5
    assert logged["service"] == "calc" and logged["msg"] == "claims loaded"


def test_a_line_inside_a_span_carries_its_trace_id():
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logged = line()
    assert logged["trace_id"] == format(span.get_span_context().trace_id, "032x")
