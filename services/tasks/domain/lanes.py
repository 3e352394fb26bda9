"""Lanes of long-running work and the policy gate that admits a task to one."""
from __future__ import annotations

import json
from dataclasses import dataclass

from runtime.errors import InputError

# Each lane names the work its workers do; curated data changes only through a gated lane.
LANES = ("publish", "report", "itr_sync", "evidence_sync", "takeover_replay")
QUEUED, RUNNING, SUCCEEDED, FAILED, REFUSED = "queued", "running", "succeeded", "failed", "refused"


@dataclass(frozen=True)
class SubmitTask:
    lane: str
    payload_json: str
    idempotency_key: str = ""


def admit(order: SubmitTask) -> dict:
    """The policy gate: a known lane and a JSON object payload; returns the parsed payload."""
    if order.lane not in LANES:
        raise InputError("unknown_lane", f"lane must be one of {', '.join(LANES)}")
    try:
        payload = json.loads(order.payload_json or "{}")
    except json.JSONDecodeError:
        raise InputError("bad_input:payload", "payload_json is not JSON") from None
    if not isinstance(payload, dict):
        raise InputError("bad_input:payload", "payload_json must be a JSON object")
    return payload
