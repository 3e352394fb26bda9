"""One delivery from start to finish, as a lane worker does it: mark the task running, apply its effect once,
then acknowledge, retry after the kind's backoff, or dead-letter with the reason. Workers (`leaf worker`) plug
their lane's work in as `work`; nothing here knows what a lane does.

Work that calls other services (minutes of computing and publishing) comes `Outside`: it runs before the ledger's
transaction opens, since that transaction holds SQLite's one write lock, and only the recording of its outcome
joins it. Such work must be idempotent by its own ids (a run by its inputs, a publication by its run)."""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kernel.errors import DomainError
from services.tasks.domain.kinds import KINDS, TaskKind
from services.tasks.domain.states import DEAD_LETTERED, FAILED, FINISHED, QUEUED, RUNNING, StateChange, StateConflict
from services.tasks.domain.task_queue import Delivery, LeaseLost, TaskQueue, dead_letter_reason
from services.tasks.domain.tasks import Task
from services.tasks.service_layer.clock import utc_now
from services.tasks.service_layer.dispatch import round_of
from services.tasks.service_layer.effects import run_once
from services.tasks.service_layer.ports import TaskLedger, TaskUnitOfWork

log = logging.getLogger(__name__)
SUCCEEDED_NOW, REPLAYED, SKIPPED, RETRYING, DEAD, FAILED_NOW, RELEASED = (
    "succeeded", "replayed", "skipped", "retrying", "dead_lettered", "failed", "released")
Work = Callable[[Task, TaskUnitOfWork], str]


@dataclass(frozen=True)
class Outside:
    """Work done outside the ledger's transaction: `perform(task)` does it and returns the Work that records its
    outcome inside that transaction."""

    perform: Callable[[Task], Work]


class PermanentFailure(Exception):
    """The task can never succeed as asked: it fails at once, without the retries a passing fault gets."""


class Interrupted(Exception):
    """The worker stopped the work before it finished (it is shutting down): the task goes back on its queue at
    once, no backoff; the delivery still counts as an attempt."""


def described(exc: BaseException) -> str:
    """What the ledger and the dead-letter queue keep of a failure: our own errors say what broke; anything else
    only its type, since its text may carry a URL or a value that must not be stored."""
    if isinstance(exc, DomainError):
        return f"{exc.code}: {exc.message}"[:500]
    if isinstance(exc, PermanentFailure | Interrupted):
        return f"{'permanent_failure' if isinstance(exc, PermanentFailure) else 'interrupted'}: {exc}"[:500]
    return f"error: {type(exc).__name__}"


def handle_delivery(delivery: Delivery, queue: TaskQueue, ledger: TaskLedger, units: Callable[[], TaskUnitOfWork],
                    work: Work | Outside, actor: str, kinds: Mapping[str, TaskKind] = KINDS) -> str:
    task = ledger.get(delivery.task_id)
    if task is None or task.state in FINISHED:
        _settle(queue.ack, delivery)  # nothing to do: unknown, finished elsewhere, or cancelled while it waited
        return SKIPPED
    kind = kinds.get(task.kind)
    now = utc_now()
    try:
        task = ledger.move(StateChange(task.task_id, task.state, RUNNING, delivery.attempt,
                                       f"delivery {delivery.attempt} of {delivery.max_attempts}", actor, now),
                           attempts=delivery.attempt, started_at=task.started_at or now)
    except StateConflict:  # another delivery moved it this instant: look again later
        _settle(lambda d: queue.release(d, delay=1.0), delivery)
        return RETRYING
    try:
        if kind is None:
            raise PermanentFailure(f"no worker does kind {task.kind!r}")
        effect = work.perform(task) if isinstance(work, Outside) else work
        done = run_once(task.task_id, delivery.attempt, lambda uow: effect(task, uow), units, actor, utc_now())
    except Exception as exc:
        if _finished_elsewhere(ledger, task.task_id):  # cancelled while it ran: the ledger keeps the operator's word
            _settle(queue.ack, delivery)
            return SKIPPED
        if isinstance(exc, PermanentFailure):
            _finish(ledger, task, FAILED, delivery.attempt, described(exc), actor)
            _settle(queue.ack, delivery)
            return FAILED_NOW
        if isinstance(exc, Interrupted):
            return _release_now(delivery, queue, ledger, task, described(exc), actor)
        # A passing fault, as far as anyone can tell: the retry policy decides.
        log.warning("task %s attempt %d failed (%s)", task.task_id, delivery.attempt, type(exc).__name__)
        assert kind is not None  # an unknown kind is a PermanentFailure
        return _retry_or_give_up(delivery, queue, ledger, task, kind, described(exc), actor)
    _settle(queue.ack, delivery)
    return REPLAYED if done.replayed else SUCCEEDED_NOW


def _finished_elsewhere(ledger: TaskLedger, task_id: str) -> bool:
    now = ledger.get(task_id)
    return now is None or now.state in FINISHED


def _release_now(delivery: Delivery, queue: TaskQueue, ledger: TaskLedger, task: Task, error: str,
                 actor: str) -> str:
    """Back on the queue at once. On its last attempt the queue dead-letters it instead, and the ledger says so."""
    if delivery.last_attempt:
        reason = dead_letter_reason(delivery.attempt, delivery.max_attempts, error)
        _finish(ledger, task, DEAD_LETTERED, delivery.attempt, reason, actor)
        _settle(lambda d: queue.dead_letter(d, reason), delivery)
        return DEAD
    _move(ledger, StateChange(task.task_id, RUNNING, QUEUED, delivery.attempt, f"released: {error}", actor,
                              utc_now()), last_error=error)
    _settle(lambda d: queue.release(d, error=error), delivery)
    return RELEASED


def _retry_or_give_up(delivery: Delivery, queue: TaskQueue, ledger: TaskLedger, task: Task, kind: TaskKind,
                      error: str, actor: str) -> str:
    if kind.retry.exhausted(delivery.attempt) or delivery.last_attempt:
        reason = dead_letter_reason(delivery.attempt, min(kind.retry.max_attempts, delivery.max_attempts), error)
        _finish(ledger, task, DEAD_LETTERED, delivery.attempt, reason, actor)
        _settle(lambda d: queue.dead_letter(d, reason), delivery)
        return DEAD
    delay = kind.retry.delay_after(delivery.attempt)
    _move(ledger, StateChange(task.task_id, RUNNING, QUEUED, delivery.attempt, f"retry in {delay:g}s: {error}",
                              actor, utc_now()), last_error=error)
    _settle(lambda d: queue.release(d, delay=delay, error=error), delivery)
    return RETRYING


def _finish(ledger: TaskLedger, task: Task, state: str, attempt: int, reason: str, actor: str) -> None:
    now = utc_now()
    _move(ledger, StateChange(task.task_id, RUNNING, state, attempt, reason, actor, now), last_error=reason,
          finished_at=now)


def _move(ledger: TaskLedger, change: StateChange, **fields) -> None:
    try:
        ledger.move(change, **fields)
    except StateConflict:  # a later delivery or an operator moved it first; the ledger keeps their word
        log.info("task %s moved elsewhere before %s", change.task_id, change.to_state)


def _settle(settle: Callable[[Delivery], None], delivery: Delivery) -> None:
    try:
        settle(delivery)
    except LeaseLost:  # too late: the queue delivers it again, and the ledger turns that delivery into a no-op
        log.info("lease on %s ran out before it was settled", delivery.task_id)


def reconcile_dead_letters(queue: TaskQueue, lane: str, ledger: TaskLedger, actor: str, max_messages: int = 100) -> int:
    """Tell the ledger about messages the queue dead-lettered by itself (their consumers kept dying or stalling
    until the attempts ran out); returns how many tasks it marked."""
    marked = 0
    for delivery in queue.receive(lane, max_messages=max_messages, lease_seconds=30.0, dead_lettered=True):
        task = ledger.get(delivery.task_id)
        # A dead letter of an earlier round (before an operator requeued the task) says nothing about this one.
        if task is not None and task.state not in FINISHED and round_of(delivery.body) >= task.requeues:
            now = utc_now()
            _move(ledger, StateChange(task.task_id, task.state, DEAD_LETTERED, task.attempts,
                                      delivery.dead_letter_reason, actor, now),
                  last_error=delivery.dead_letter_reason, finished_at=now)
            marked += 1
        _settle(queue.ack, delivery)
    return marked
