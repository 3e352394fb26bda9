"""RabbitMQ lanes (LEAF_QUEUE=rabbitmq) through aio-pika, on an asyncio loop of the adapter's own.

Each lane is a quorum queue with a dead-letter queue and per-delay retry rooms (rabbitmq_lanes.py). A
message's attempt is `x-leaf-attempts` (deliveries before this copy was published: a release republishes)
plus the broker's `x-delivery-count` plus one. Leases are kept here: a lease that runs out is nacked back to
the lane (the broker counts that as a delivery). A receive consumes with manual acks and a prefetch of the
messages it asks for (at most `prefetch`), only while it waits, so a process holds no message it has not
handed out; when its connection ends, whatever it held returns to the lane. Publishes wait for publisher
confirms, many at once. Duplicate detection is a record per pending task id in the tasks database
(adapters/queues/dedupe.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import Engine

from services.tasks.adapters.queues.dedupe import WINDOW_SECONDS, DedupeRecords
from services.tasks.adapters.queues.loop_thread import LoopThread
from services.tasks.adapters.queues.rabbitmq_lanes import LaneQueues
from services.tasks.domain.task_queue import MAX_ATTEMPTS_EXCEEDED, Delivery, LeaseLost, dead_letter_reason

log = logging.getLogger(__name__)
ATTEMPTS, MAX_ATTEMPTS, LAST_ERROR = "x-leaf-attempts", "x-leaf-max-attempts", "x-leaf-last-error"
REASON = "x-leaf-dead-letter-reason"
LEASE_CHECK_SECONDS = 0.05


def _quiet(sent: asyncio.Task) -> None:
    """An ack that could not be sent (the channel closed): the broker delivers the message again."""
    if not sent.cancelled() and sent.exception() is not None:
        log.warning("an ack was not sent (%s); the message will be delivered again", type(sent.exception()).__name__)


@dataclass
class _Lease:
    message: AbstractIncomingMessage
    ends: float  # time.monotonic(), the loop's clock too


class RabbitTaskQueue:
    def __init__(self, url: str, engine: Engine, *, namespace: str = "leaf", prefetch: int = 10,
                 dedupe_window_seconds: float = WINDOW_SECONDS) -> None:
        self.namespace = namespace
        self.dedupe = DedupeRecords(engine, dedupe_window_seconds)
        self._leases: dict[str, _Lease] = {}  # taken by the caller's thread, expired by the loop's
        self._leases_lock = threading.Lock()
        self._acks: list[AbstractIncomingMessage] = []
        self._acks_lock = threading.Lock()
        self._sending: set[asyncio.Task] = set()  # acks on their way out, awaited before the connection closes
        self._buffers: dict[str, asyncio.Queue[AbstractIncomingMessage]] = {}  # delivered after a receive gave up
        self._thread = LoopThread("leaf-amqp")
        self._thread.run(self._open(url, prefetch))

    # The contract ------------------------------------------------------------------------------------------------
    def enqueue(self, lane: str, task_id: str, body: str = "", *, max_attempts: int, delay: float = 0.0) -> None:
        self.enqueue_many(lane, [(task_id, body)], max_attempts=max_attempts, delay=delay)

    def enqueue_many(self, lane: str, messages: Sequence[tuple[str, str]], *, max_attempts: int,
                     delay: float = 0.0) -> None:
        pending = self.dedupe.pending(lane, [task_id for task_id, _ in messages])
        fresh: dict[str, str] = {}
        for task_id, body in messages:
            if task_id not in pending:
                fresh.setdefault(task_id, body)  # a repeated id within the batch goes once, as first given
        headers = {ATTEMPTS: 0, MAX_ATTEMPTS: max_attempts}
        self._thread.run(self._publish_all(lane, [(t, b.encode()) for t, b in fresh.items()], headers, delay))
        self.dedupe.record(lane, fresh)

    def receive(self, lane: str, *, max_messages: int = 1, lease_seconds: float = 60.0, wait_seconds: float = 0.0,
                dead_lettered: bool = False) -> list[Delivery]:
        got, spent = self._thread.run(self._receive(lane, max_messages, lease_seconds, wait_seconds, dead_lettered),
                                      timeout=wait_seconds + 60)
        for task_id in spent:
            self.dedupe.forget(lane, task_id)
        return got

    def ack(self, delivery: Delivery) -> None:
        # basic.ack has no answer to wait for: handed to the loop in batches, not waited on (a lost ack is a
        # redelivery, which effects absorb).
        message = self._take(delivery)
        with self._acks_lock:
            self._acks.append(message)
            first = len(self._acks) == 1
        if first:
            self._thread.loop.call_soon_threadsafe(self._send_acks)
        if not delivery.dead_letter_reason:
            self.dedupe.forget_soon(delivery.lane, delivery.task_id)

    def release(self, delivery: Delivery, *, delay: float = 0.0, error: str = "") -> None:
        if delivery.last_attempt and not delivery.dead_letter_reason:
            return self.dead_letter(delivery, dead_letter_reason(delivery.attempt, delivery.max_attempts, error))
        self._thread.run(self._release(delivery, self._take(delivery), delay, error))

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        message = self._take(delivery)
        self._thread.run(self._move_to_dead(delivery.lane, message, reason, delivery.attempt))
        self.dedupe.forget(delivery.lane, delivery.task_id)

    def renew(self, delivery: Delivery, lease_seconds: float) -> Delivery:
        with self._leases_lock:
            lease = self._leases.get(delivery.lease_token)
            if lease is None:
                raise LeaseLost(delivery.task_id)
            lease.ends = time.monotonic() + lease_seconds
        return replace(delivery, lease_expires_at=time.time() + lease_seconds)

    def depth(self, lane: str) -> int:
        """Messages ready on the lane (the broker's count; leased ones are not in it)."""
        return self._thread.run(self._depth(lane))

    def close(self) -> None:
        try:
            self._thread.run(self._close(), timeout=15)
        finally:
            self._thread.stop()
            self.dedupe.close()

    def delete_lane(self, lane: str) -> None:
        """Drop the lane's queues (tests and teardown of a namespace); messages in them are gone."""
        self._thread.run(self._delete_lane(lane))

    # On the loop ---------------------------------------------------------------------------------------------------
    async def _open(self, url: str, prefetch: int) -> None:
        self.connection = await aio_pika.connect(url, client_properties={"connection_name": f"leaf-tasks {self.namespace}"})
        self.publishing = await self.connection.channel(publisher_confirms=True)
        self.lanes = LaneQueues(self.namespace, self.publishing)
        self.consuming = await self.connection.channel()
        self.prefetch_limit = prefetch
        self._receiving = asyncio.Lock()
        self._reaper = asyncio.get_running_loop().create_task(self._expire_leases())

    async def _publish(self, lane: str, task_id: str, body: bytes, headers: dict, delay: float,
                       to: str | None = None) -> None:
        await self.lanes.declare(lane)
        target = to or (await self.lanes.delay_room(lane, delay) if delay > 0 else self.lanes.main(lane))
        message = aio_pika.Message(body, message_id=task_id, headers=headers,
                                   delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await self.publishing.default_exchange.publish(message, routing_key=target, mandatory=True)

    async def _publish_all(self, lane: str, messages: list[tuple[str, bytes]], headers: dict, delay: float) -> None:
        """Publish them all at once and wait for every confirm (the broker batches its disk writes)."""
        await self.lanes.declare(lane)
        if delay > 0:
            await self.lanes.delay_room(lane, delay)
        await asyncio.gather(*(self._publish(lane, task_id, body, headers, delay) for task_id, body in messages))

    async def _receive(self, lane: str, limit: int, lease_seconds: float, wait_seconds: float,
                       dead_lettered: bool) -> tuple[list[Delivery], list[str]]:
        """Consume only while a receive waits, with a prefetch of what it asked for, so this process never holds
        a message it has not handed out (a stalled worker would otherwise sit on messages others could take)."""
        name = self.lanes.dead(lane) if dead_lettered else self.lanes.main(lane)
        async with self._receiving:
            await self.lanes.declare(lane)
            buffer = self._buffers.setdefault(name, asyncio.Queue())  # late arrivals of an earlier receive
            arrived: list[AbstractIncomingMessage] = []
            while not buffer.empty() and len(arrived) < limit:
                arrived.append(buffer.get_nowait())
            if len(arrived) < limit:
                arrived += await self._consume(name, buffer, limit - len(arrived), wait_seconds)
            got: list[Delivery] = []
            spent: list[str] = []
            for message in arrived:
                delivery = await self._lease(lane, message, lease_seconds, dead_lettered)
                if delivery is None:
                    spent.append(message.message_id or "")
                else:
                    got.append(delivery)
            return got, spent

    async def _consume(self, name: str, buffer: asyncio.Queue[AbstractIncomingMessage], wanted: int,
                       wait_seconds: float) -> list[AbstractIncomingMessage]:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + wait_seconds
        await self.consuming.set_qos(prefetch_count=min(wanted, self.prefetch_limit))
        queue = await self.consuming.get_queue(name, ensure=False)
        tag = await queue.consume(buffer.put, no_ack=False)
        arrived: list[AbstractIncomingMessage] = []
        try:
            while len(arrived) < wanted:
                if arrived and buffer.empty():
                    await asyncio.sleep(0)  # whatever the broker already pushed, then stop
                    if buffer.empty():
                        break
                try:
                    arrived.append(await asyncio.wait_for(buffer.get(), max(give_up - loop.time(), 0.001)))
                except TimeoutError:
                    break
        finally:
            await queue.cancel(tag)
        return arrived

    async def _lease(self, lane: str, message: AbstractIncomingMessage, lease_seconds: float,
                     dead_lettered: bool) -> Delivery | None:
        headers = message.headers or {}
        max_attempts = int(headers.get(MAX_ATTEMPTS, 1))
        attempt = int(headers.get(ATTEMPTS, 0)) + (0 if dead_lettered else int(headers.get("x-delivery-count", 0)) + 1)
        if not dead_lettered and attempt > max_attempts:  # delivered max_attempts times, never settled
            reason = dead_letter_reason(attempt - 1, max_attempts, str(headers.get(LAST_ERROR, "")))
            await self._move_to_dead(lane, message, reason, attempt - 1)
            return None
        token = uuid.uuid4().hex
        with self._leases_lock:
            self._leases[token] = _Lease(message, time.monotonic() + lease_seconds)
        reason = ""
        if dead_lettered:
            reason = str(headers.get(REASON, "")) or f"{MAX_ATTEMPTS_EXCEEDED}: the broker's delivery limit was reached"
        return Delivery(lane, message.message_id or "", message.body.decode(), attempt, max_attempts, token,
                        time.time() + lease_seconds, reason)

    def _take(self, delivery: Delivery) -> AbstractIncomingMessage:
        """End the lease here, in the caller's thread, so a lease that ran out is refused before anything is sent."""
        with self._leases_lock:
            lease = self._leases.pop(delivery.lease_token, None)
        if lease is None:
            raise LeaseLost(delivery.task_id)
        return lease.message

    def _send_acks(self) -> None:
        """On the loop: send every ack handed over since the last call."""
        with self._acks_lock:
            batch, self._acks = self._acks, []
        for message in batch:
            sending = self._thread.loop.create_task(message.ack())
            self._sending.add(sending)
            sending.add_done_callback(self._sent)

    def _sent(self, sending: asyncio.Task) -> None:
        self._sending.discard(sending)
        _quiet(sending)

    async def _release(self, delivery: Delivery, message: AbstractIncomingMessage, delay: float, error: str) -> None:
        if delivery.dead_letter_reason:
            await message.nack(requeue=True)
            return
        headers = {ATTEMPTS: delivery.attempt, MAX_ATTEMPTS: delivery.max_attempts, LAST_ERROR: error}
        await self._publish(delivery.lane, delivery.task_id, message.body, headers, delay)
        await message.ack()  # after the copy is confirmed: a crash in between leaves two, never none

    async def _move_to_dead(self, lane: str, message: AbstractIncomingMessage, reason: str, attempts: int) -> None:
        headers = {ATTEMPTS: attempts, MAX_ATTEMPTS: int((message.headers or {}).get(MAX_ATTEMPTS, 1)), REASON: reason}
        await self._publish(lane, message.message_id or "", message.body, headers, 0, to=self.lanes.dead(lane))
        await message.ack()

    async def _expire_leases(self) -> None:
        """Hand back every message whose lease ran out; the broker counts it as a delivery."""
        while True:
            await asyncio.sleep(LEASE_CHECK_SECONDS)
            now = time.monotonic()
            with self._leases_lock:
                expired = [self._leases.pop(t) for t, lease in list(self._leases.items()) if lease.ends <= now]
            for lease in expired:
                if not lease.message.channel.is_closed:
                    await lease.message.nack(requeue=True)
            await asyncio.to_thread(self.dedupe.flush_due)

    async def _depth(self, lane: str) -> int:
        return await self.lanes.ready(lane)

    async def _delete_lane(self, lane: str) -> None:
        for name in await self.lanes.delete(lane):
            self._buffers.pop(name, None)

    async def _close(self) -> None:
        self._send_acks()
        await asyncio.gather(*self._sending, return_exceptions=True)
        self._reaper.cancel()
        await self.connection.close()
