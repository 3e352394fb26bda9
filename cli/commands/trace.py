"""`leaf trace TRACE_ID`: one trace's spans from every service, as a tree (dev exporter files under LEAF_HOME)."""
from __future__ import annotations

import json
import sys

from runtime.home import leaf_home


def register(commands) -> None:
    trace = commands.add_parser("trace", help="show the spans of one trace across every service")
    trace.add_argument("trace_id")
    trace.set_defaults(handler=handle)


def spans_of(trace_id: str) -> list[dict]:
    spans = []
    for path in sorted((leaf_home() / "traces").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if f'"trace_id":"{trace_id}"' in line:
                spans.append(json.loads(line))
    return sorted(spans, key=lambda s: s["start"])


def handle(args) -> int:
    spans = spans_of(args.trace_id)
    if not spans:
        print(f"leaf trace: no spans for trace {args.trace_id} under LEAF_HOME/traces", file=sys.stderr)
        return 1
    children: dict[str | None, list[dict]] = {}
    ids = {s["span_id"] for s in spans}
    for span in spans:
        children.setdefault(span["parent_id"] if span["parent_id"] in ids else None, []).append(span)

    def show(parent: str | None, depth: int) -> None:
        for span in children.get(parent, []):
            millis = (span["end"] - span["start"]) / 1e6
            print(f"{'  ' * depth}{span['service']:<10} {span['name']}  {millis:.1f} ms  {span['status'].lower()}")
            show(span["span_id"], depth + 1)

    show(None, 0)
    return 0
