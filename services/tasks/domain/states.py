"""A task's states and the moves between them; every move is appended to the task's history, never rewritten."""
from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import Conflict

QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
BLOCKED, DEAD_LETTERED, CANCELLED = "blocked", "dead_lettered", "cancelled"
STATES = (QUEUED, RUNNING, SUCCEEDED, FAILED, BLOCKED, DEAD_LETTERED, CANCELLED)
# A finished task moves no more, except that an operator may requeue a failed or dead-lettered one.
FINISHED = frozenset({SUCCEEDED, FAILED, BLOCKED, DEAD_LETTERED, CANCELLED})

# A task that gave up (or was never admitted): a repeat of its submission under the same idempotency key is a new
# try, not this task again.
GAVE_UP = frozenset({FAILED, BLOCKED, DEAD_LETTERED, CANCELLED})
CANCELLABLE = frozenset({QUEUED, RUNNING})
REQUEUEABLE = frozenset({FAILED, DEAD_LETTERED})

MOVES: dict[str, frozenset[str]] = {
    "": frozenset({QUEUED, BLOCKED}),  # how a task enters the ledger: admitted, or denied by the policy gate
    QUEUED: frozenset({RUNNING, CANCELLED, DEAD_LETTERED}),
    # running → running: a redelivery after a lease ran out (its worker died or stalled) starts the next attempt.
    # running → queued: a try failed and the next one waits out its backoff.
    RUNNING: frozenset({RUNNING, QUEUED, SUCCEEDED, FAILED, DEAD_LETTERED, CANCELLED}),
    FAILED: frozenset({QUEUED}),
    DEAD_LETTERED: frozenset({QUEUED}),
    SUCCEEDED: frozenset(), BLOCKED: frozenset(), CANCELLED: frozenset(),
}


class StateConflict(Conflict):
    """The task is not in a state this move starts from (someone else moved it first)."""


@dataclass(frozen=True)
class StateChange:
    """One line of a task's history: from → to, on which attempt, why, by whom, when."""

    task_id: str
    from_state: str
    to_state: str
    attempt: int
    reason: str
    actor: str
    at: str


def check_move(task_id: str, from_state: str, to_state: str) -> None:
    if to_state not in MOVES.get(from_state, frozenset()):
        raise StateConflict("task_state_conflict", f"task {task_id} cannot move from {from_state or 'nothing'} to {to_state}")
