"""A task as the ledger records it: what was asked, by whom, under which decision, and how far it got."""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from kernel.errors import InputError


@dataclass(frozen=True)
class SubmitTask:
    """The order to put one task of `kind` on its lane; `lane`, when given, must be the kind's own."""

    kind: str
    payload_json: str = "{}"
    idempotency_key: str = ""
    itr_request_id: str = ""
    run_id: str = ""
    operator_intent: bool = False
    lane: str = ""


@dataclass(frozen=True)
class Artifact:
    name: str
    sha256: str = ""
    size_bytes: int = 0


@dataclass(frozen=True)
class Task:
    task_id: str
    kind: str
    lane: str
    state: str
    requested_by: str
    scope_hash: str
    itr_request_id: str
    run_id: str
    policy_outcome: str
    policy_rule: str
    policy_reason: str
    payload_json: str
    created_at: str
    updated_at: str
    operator_intent: bool = False
    idempotency_key: str | None = None
    trace_id: str = ""
    attempts: int = 0
    max_attempts: int = 0
    progress_done: int = 0
    progress_total: int = 0
    progress_note: str = ""
    artifacts: tuple[Artifact, ...] = field(default=())
    result_json: str = ""
    last_error: str = ""
    started_at: str = ""
    finished_at: str = ""
    dispatched_at: str = ""
    # Whom a worker acts for (the verified submitter, captured at submission): its groups and operator flag,
    # and the exact scope it was granted (canonical JSON; empty for a read grant), asked for again each try.
    requested_groups: tuple[str, ...] = ()
    requested_operator: bool = False
    granted_scope_json: str = ""
    trace_parent_id: str = ""  # the span that submitted it (16 hex): a worker's span is its child
    requeues: int = 0          # how often an operator put it back; a message of an earlier round is stale

    def moved(self, **changes) -> Task:
        return replace(self, **changes)


def payload_of(order: SubmitTask) -> dict:
    """The order's payload as an object; anything else is the caller's mistake."""
    try:
        payload = json.loads(order.payload_json or "{}")
    except json.JSONDecodeError:
        raise InputError("bad_input:payload", "payload_json is not JSON") from None
    if not isinstance(payload, dict):
        raise InputError("bad_input:payload", "payload_json must be a JSON object")
    return payload
