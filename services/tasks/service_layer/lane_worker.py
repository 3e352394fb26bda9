"""One lane's worker loop: receive a task with a lease, keep the lease while working, run the delivery step, and
stop gracefully — the task in hand finishes within the grace period or goes back on its queue, never lost.

The loop is synchronous (the queue contract is); the work's calls to other services run as coroutines on an
asyncio loop of their own thread, which is how a time limit, an operator's cancel or the end of the grace
period can stop them mid-call.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Mapping

from runtime.telemetry import continued_span
from services.tasks.domain.kinds import KINDS, TaskKind
from services.tasks.domain.states import CANCELLED
from services.tasks.domain.task_queue import Delivery, LeaseLost, TaskQueue
from services.tasks.domain.tasks import Task
from services.tasks.service_layer import lane_work
from services.tasks.service_layer.clock import utc_now
from services.tasks.service_layer.deliveries import (
    Interrupted,
    Outside,
    Work,
    handle_delivery,
    reconcile_dead_letters,
)
from services.tasks.service_layer.dispatch import dispatch_pending
from services.tasks.service_layer.ports import TaskLedger, TaskUnitOfWork, WorkerMesh

log = logging.getLogger(__name__)
HOUSEKEEPING_SECONDS = 30.0  # how often the dead letters the queue made itself and undispatched tasks are swept
RECEIVE_WAIT_SECONDS = 1.0   # how long one receive waits: also how soon an idle worker notices it must stop


class LeaseKeeper:
    """Renews a delivery's lease every third of its length while the work runs, and notices an operator's cancel.

    A lost lease (the worker stalled past it) is only logged: the queue delivers the task again elsewhere, the
    work here may still finish, and whichever finishes first records it (effects are once per task id)."""

    def __init__(self, queue: TaskQueue, ledger: TaskLedger, delivery: Delivery, lease_seconds: float) -> None:
        self.queue, self.ledger, self.delivery, self.lease_seconds = queue, ledger, delivery, lease_seconds
        self.cancelled = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._keep, name=f"lease {delivery.task_id}", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._done.set()
        self._thread.join(timeout=self.lease_seconds)

    def _keep(self) -> None:
        while not self._done.wait(self.lease_seconds / 3):
            try:
                self.delivery = self.queue.renew(self.delivery, self.lease_seconds)
            except LeaseLost:
                log.warning("lease on %s ran out; the queue will deliver it again", self.delivery.task_id)
                return
            except Exception as exc:  # the queue hiccupped: the lease still runs, the next tick tries again
                log.warning("could not renew the lease on %s (%s)", self.delivery.task_id, type(exc).__name__)
            task = self.ledger.get(self.delivery.task_id)
            if task is not None and task.state == CANCELLED:
                self.cancelled.set()


class LaneWorker:
    def __init__(self, lane: str, queue: TaskQueue, ledger: TaskLedger, units: Callable[[], TaskUnitOfWork],
                 mesh: WorkerMesh, loop: asyncio.AbstractEventLoop, *, kinds: Mapping[str, TaskKind] = KINDS,
                 lease_seconds: float = 60.0, grace_seconds: float = 30.0) -> None:
        self.lane, self.queue, self.ledger, self.units, self.mesh, self.loop = lane, queue, ledger, units, mesh, loop
        self.kinds, self.lease_seconds, self.grace_seconds = kinds, lease_seconds, grace_seconds
        self.actor = f"workload:worker-{lane}"
        self.stopping = threading.Event()
        self._stop_by = float("inf")
        self._swept_at = 0.0

    def stop(self) -> None:
        """From a signal handler or another thread: take no new task; the one in hand has the grace period."""
        self._stop_by = time.monotonic() + self.grace_seconds
        self.stopping.set()

    def run(self) -> None:
        log.info("worker started", extra={"lane": self.lane})
        while not self.stopping.is_set():
            self._housekeeping()
            try:
                deliveries = self.queue.receive(self.lane, max_messages=1, lease_seconds=self.lease_seconds,
                                                wait_seconds=RECEIVE_WAIT_SECONDS)
            except Exception as exc:  # the queue is down: wait a little, never spin
                log.warning("receive failed on lane %s (%s)", self.lane, type(exc).__name__)
                self.stopping.wait(2.0)
                continue
            for delivery in deliveries:
                self.handle(delivery)
        log.info("worker stopped", extra={"lane": self.lane})

    def handle(self, delivery: Delivery) -> str:
        with LeaseKeeper(self.queue, self.ledger, delivery, self.lease_seconds) as keeper:
            return handle_delivery(delivery, self.queue, self.ledger, self.units,
                                   Outside(lambda task: self._perform(task, keeper)), self.actor, self.kinds)

    def _perform(self, task: Task, keeper: LeaseKeeper) -> Work:
        """Runs the work on the loop and waits for it, stopping it early for a cancel or the end of the grace."""
        running = asyncio.run_coroutine_threadsafe(self._attempt(task), self.loop)
        while True:
            finished, _ = concurrent.futures.wait([running], timeout=0.2)
            if finished:
                return lane_work.record(running.result())
            if keeper.cancelled.is_set():
                running.cancel()
                raise Interrupted("cancelled by an operator")
            if self.stopping.is_set() and time.monotonic() >= self._stop_by:
                running.cancel()
                raise Interrupted(f"the worker stopped before the task finished ({self.grace_seconds:g} s grace)")

    async def _attempt(self, task: Task) -> lane_work.Outcome:
        """One try, as a child span of the request that submitted the task, within the kind's time limit."""
        limit = self.kinds[task.kind].time_limit_seconds
        with continued_span(__name__, f"task {task.kind}", task.trace_id, task.trace_parent_id):
            try:
                return await asyncio.wait_for(
                    lane_work.perform(task, self.mesh, self._progress(task), lane_work.Deadline(limit)), limit)
            except TimeoutError:
                raise lane_work.time_limit_exceeded(limit) from None

    def _progress(self, task: Task) -> lane_work.Progress:
        async def note(done: int, total: int, what: str) -> None:
            await asyncio.to_thread(self.ledger.note, task.task_id, progress_done=done, progress_total=total,
                                    progress_note=what)
        return note

    def _housekeeping(self) -> None:
        """Tell the ledger about tasks the queue dead-lettered on its own, and put tasks a down queue missed on it."""
        if time.monotonic() - self._swept_at < HOUSEKEEPING_SECONDS:
            return
        self._swept_at = time.monotonic()
        try:
            reconcile_dead_letters(self.queue, self.lane, self.ledger, self.actor)
            dispatch_pending(self.ledger, self.queue, utc_now())
        except Exception as exc:  # next time: housekeeping never stops the lane
            log.warning("housekeeping failed on lane %s (%s)", self.lane, type(exc).__name__)
