"""JSON log lines with the trace id; fields that could carry PHI or secrets are never written."""
from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import sys
from datetime import UTC, datetime

from opentelemetry import trace

# Keys a log call might pass as `extra` that must never reach a log line.
_FORBIDDEN = {"member_id", "password", "token", "authorization", "secret", "connection_string", "url"}
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        span = getattr(record, "_span", None) or trace.get_current_span().get_span_context()
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = "[redacted]" if key.lower() in _FORBIDDEN else value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class _Handoff(logging.handlers.QueueHandler):
    """Hands a record to the writing thread as it is: only the caller's span is noted, since the line is formatted
    in that thread (the standard QueueHandler would format it here, on the caller's time)."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.__dict__["_span"] = trace.get_current_span().get_span_context()
        return record


def configure_logging(service: str, level: str = "INFO") -> None:
    """Route the root logger to stderr as JSON lines, formatted and written by a thread of their own so that no
    request waits on a log write (what is queued is written when the process exits)."""
    global _listener
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    if _listener is not None:
        _listener.stop()
    _listener = logging.handlers.QueueListener(queue.SimpleQueue(), handler)
    _listener.start()
    root = logging.getLogger()
    root.handlers[:] = [_Handoff(_listener.queue)]
    root.setLevel(level)
    # The access logs of uvicorn and the gRPC internals add nothing a trace does not have.
    for noisy in ("uvicorn.access", "grpc._cython"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def stop_log_writer() -> None:
    """Write every queued line and stop the writing thread (at exit, or before a signal ends the process)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None


_listener: logging.handlers.QueueListener | None = None
atexit.register(stop_log_writer)
