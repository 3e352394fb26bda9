"""The RabbitMQ queues behind one lane, named under a namespace and declared once per process.

- `<ns>.<lane>`: a durable quorum queue. Quorum queues count deliveries themselves (`x-delivery-count`),
  also when a consumer's connection drops with messages unacked — the case a worker killed mid-task makes —
  so attempts survive crashes. Its `x-delivery-limit` is a backstop that dead-letters to the lane's
  dead-letter queue should our own attempt check never run.
- `<ns>.<lane>.dead`: the lane's dead letters.
- `<ns>.<lane>.delay.<ms>`: a retry waiting room per delay, whose message TTL dead-letters messages back into
  the lane when the delay is over; it expires itself a minute after its last use.
"""
from __future__ import annotations

import math
import time

from aio_pika.abc import AbstractChannel

BROKER_DELIVERY_LIMIT = 50
DELAY_QUEUE_IDLE_MS = 60_000
QUORUM = {"x-queue-type": "quorum"}


class LaneQueues:
    def __init__(self, namespace: str, channel: AbstractChannel) -> None:
        self.namespace = namespace
        self.channel = channel
        self.declared: dict[str, float] = {}  # queue name → when it was last declared (time.monotonic())

    def main(self, lane: str) -> str:
        return f"{self.namespace}.{lane}"

    def dead(self, lane: str) -> str:
        return f"{self.namespace}.{lane}.dead"

    async def declare(self, lane: str) -> None:
        if self.main(lane) in self.declared:
            return
        await self.channel.declare_queue(self.dead(lane), durable=True, arguments=QUORUM)
        await self.channel.declare_queue(self.main(lane), durable=True, arguments={
            **QUORUM, "x-delivery-limit": BROKER_DELIVERY_LIMIT, "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": self.dead(lane)})
        self.declared[self.main(lane)] = self.declared[self.dead(lane)] = time.monotonic()

    async def delay_room(self, lane: str, delay: float) -> str:
        """The waiting room for `delay` (rounded up to a tenth of a second, so delays share rooms)."""
        ms = max(100, math.ceil(delay * 10) * 100)
        name = f"{self.main(lane)}.delay.{ms}"
        now = time.monotonic()
        if now - self.declared.get(name, -math.inf) > DELAY_QUEUE_IDLE_MS / 2000:  # redeclared well before it expires
            await self.channel.declare_queue(name, durable=True, arguments={
                "x-message-ttl": ms, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": self.main(lane),
                "x-expires": ms + DELAY_QUEUE_IDLE_MS})
            self.declared[name] = now
        return name

    async def ready(self, lane: str) -> int:
        """Messages ready on the lane (the broker's count; leased ones are not in it)."""
        await self.declare(lane)
        queue = await self.channel.declare_queue(self.main(lane), passive=True)
        return int(queue.declaration_result.message_count or 0)

    async def delete(self, lane: str) -> list[str]:
        """Drop the lane's queues this process declared; returns their names."""
        names = [n for n in self.declared if n == self.main(lane) or n.startswith(f"{self.main(lane)}.")]
        for name in names:
            await self.channel.queue_delete(name)
            self.declared.pop(name, None)
        return names
