"""The one queue contract every backend keeps (database table, RabbitMQ, Azure Service Bus).

- At least once: a message is delivered until it is acknowledged or dead-lettered; a consumer that dies
  holding one loses nothing.
- Leases: a received message is invisible to every other consumer until it is acked, released or its lease
  runs out; then it is delivered again, with `attempt` one higher.
- Attempts are counted per delivery; a message delivered `max_attempts` times without being acked goes to
  its lane's dead-letter queue with the reason, and so does one released on its last attempt.
- Release with a delay is a scheduled retry: the message is visible again only after the delay.
- Duplicate detection by task id: enqueueing a task id that is still pending on the lane is a no-op.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

MAX_ATTEMPTS_EXCEEDED = "max_attempts_exceeded"


class LeaseLost(Exception):
    """The delivery's lease ran out (or another consumer holds the message now): it was not settled here."""


@dataclass(frozen=True)
class Delivery:
    """One delivery of one message; `lease_token` lets the backend that made it settle exactly this delivery."""

    lane: str
    task_id: str
    body: str
    attempt: int                  # 1 on the first delivery
    max_attempts: int
    lease_token: str
    lease_expires_at: float       # seconds since the epoch (the backend's clock)
    dead_letter_reason: str = ""  # set on a delivery from a dead-letter queue

    @property
    def last_attempt(self) -> bool:
        return self.attempt >= self.max_attempts


class TaskQueue(Protocol):
    """A queue per lane; the ledger is the record of what a task is, the queue only says which task to do next."""

    def enqueue(self, lane: str, task_id: str, body: str = "", *, max_attempts: int, delay: float = 0.0) -> None:
        """Make `task_id` deliverable on `lane` after `delay` seconds, unless it is already pending there."""

    def enqueue_many(self, lane: str, messages: Sequence[tuple[str, str]], *, max_attempts: int,
                     delay: float = 0.0) -> None:
        """`enqueue` for each (task_id, body), in as few round trips as the backend allows."""

    def receive(self, lane: str, *, max_messages: int = 1, lease_seconds: float = 60.0, wait_seconds: float = 0.0,
                dead_lettered: bool = False) -> list[Delivery]:
        """Lease up to `max_messages` (from the lane's dead-letter queue with `dead_lettered`), waiting at most
        `wait_seconds` for the first."""

    def ack(self, delivery: Delivery) -> None:
        """Done: the message is gone. LeaseLost when the lease ran out first."""

    def release(self, delivery: Delivery, *, delay: float = 0.0, error: str = "") -> None:
        """Not done: deliver again after `delay` seconds, or dead-letter it when this was its last attempt."""

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Give up: move the message to the lane's dead-letter queue with `reason`."""

    def renew(self, delivery: Delivery, lease_seconds: float) -> Delivery:
        """Extend the lease by `lease_seconds` from now (a long task keeps its message). LeaseLost when too late."""

    def depth(self, lane: str) -> int:
        """Messages waiting or leased on the lane (what an autoscaler reads)."""

    def close(self) -> None:
        """Let go of connections; unsettled deliveries become deliverable again."""


def dead_letter_reason(attempts: int, max_attempts: int, error: str = "") -> str:
    """The reason a message that ran out of attempts carries: stable code first, then what the last try said."""
    said = f": {error}" if error else ": no try acknowledged it (its consumers stopped or ran out of time)"
    return f"{MAX_ATTEMPTS_EXCEEDED} ({attempts} of {max_attempts}){said}"
