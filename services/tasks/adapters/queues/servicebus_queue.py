"""Azure Service Bus lanes (LEAF_QUEUE=servicebus): a queue per lane under a namespace prefix, peek-lock.

Service Bus gives most of the contract itself: peek-lock receive (a message is invisible while its lock
lasts), complete / abandon / dead-letter with a reason, a delivery count kept by the broker across crashed
receivers, a max delivery count that dead-letters on its own (set as a backstop above our own check),
duplicate detection by message_id within the queue's window, and scheduled messages. What this adapter adds:
- the lease: the queue's lock duration (at most 5 minutes) is renewed by an AutoLockRenewer until
  `lease_seconds` have passed, then left to lapse, so a stalled worker's message comes back (the end of a
  lease is therefore rounded up to the lock duration);
- attempts across retries: a release schedules a copy (message_id `<task_id>#<attempt>`, so duplicate
  detection does not swallow it) carrying `leaf_attempts`, then completes the original; the attempt is
  `leaf_attempts` + the broker's count of earlier deliveries + 1;
- queue creation with these properties when the namespace lets us (in production the queues are declared
  by the infrastructure with the same properties, and the adapter only checks they exist).
Duplicate detection is the broker's: an enqueue of a task id seen within the window (default 1 hour here)
is dropped whether or not the first is still pending. Not run here: there is no Service Bus on these
machines; the contract suite runs against one when LEAF_SERVICEBUS_CONNECTION is set.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.servicebus import (
    AutoLockRenewer,
    ServiceBusClient,
    ServiceBusMessage,
    ServiceBusReceivedMessage,
    ServiceBusReceiveMode,
    ServiceBusReceiver,
    ServiceBusSubQueue,
)
from azure.servicebus.exceptions import MessageLockLostError, ServiceBusError

from services.tasks.domain.task_queue import MAX_ATTEMPTS_EXCEEDED, Delivery, LeaseLost, dead_letter_reason

TASK_ID, ATTEMPTS, MAX_ATTEMPTS, LAST_ERROR = "leaf_task_id", "leaf_attempts", "leaf_max_attempts", "leaf_last_error"
LOCK_DURATION = timedelta(seconds=60)
DUPLICATE_WINDOW = timedelta(hours=1)
BROKER_MAX_DELIVERY_COUNT = 50


@dataclass
class _Lease:
    receiver: ServiceBusReceiver
    message: ServiceBusReceivedMessage


def _prop(message: ServiceBusReceivedMessage, name: str, default: Any = None) -> Any:
    """An application property, whichever of str or bytes the SDK keyed it by."""
    props = message.application_properties or {}
    value = props.get(name, props.get(name.encode(), default))
    return value.decode() if isinstance(value, bytes) else value


class ServiceBusTaskQueue:
    def __init__(self, client: ServiceBusClient, *, namespace: str = "leaf", prefetch: int = 10,
                 admin: Any = None, lock_duration: timedelta = LOCK_DURATION) -> None:
        self.client = client
        self.lock_duration = lock_duration
        self.namespace = namespace
        self.prefetch = prefetch
        self.admin = admin  # ServiceBusAdministrationClient, or None where the queues are declared elsewhere
        self.renewer = AutoLockRenewer()
        self._receivers: dict[tuple[str, bool], ServiceBusReceiver] = {}
        self._senders: dict[str, Any] = {}
        self._leases: dict[str, _Lease] = {}
        self._lock = threading.Lock()  # the SDK's receivers and senders are not thread-safe

    @classmethod
    def connect(cls, connection: str | None, namespace_host: str | None, **options: Any) -> ServiceBusTaskQueue:
        """From a connection string (tests, a SAS key) or a namespace host with the workload's managed identity."""
        from azure.servicebus.management import ServiceBusAdministrationClient

        if connection:
            return cls(ServiceBusClient.from_connection_string(connection),
                       admin=ServiceBusAdministrationClient.from_connection_string(connection), **options)
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
        return cls(ServiceBusClient(namespace_host, credential),
                   admin=ServiceBusAdministrationClient(namespace_host, credential), **options)

    def _name(self, lane: str) -> str:
        return f"{self.namespace}.{lane}"

    def ensure_lane(self, lane: str) -> None:
        if self.admin is None:
            return
        name = self._name(lane)
        try:
            self.admin.get_queue(name)
        except Exception:  # absent (ResourceNotFoundError): declare it with the contract's properties
            self.admin.create_queue(name, lock_duration=self.lock_duration, max_delivery_count=BROKER_MAX_DELIVERY_COUNT,
                                    requires_duplicate_detection=True,
                                    duplicate_detection_history_time_window=DUPLICATE_WINDOW,
                                    dead_lettering_on_message_expiration=True)

    def _sender(self, lane: str):
        if lane not in self._senders:
            self.ensure_lane(lane)
            self._senders[lane] = self.client.get_queue_sender(self._name(lane))
        return self._senders[lane]

    def _receiver(self, lane: str, dead_lettered: bool) -> ServiceBusReceiver:
        key = (lane, dead_lettered)
        if key not in self._receivers:
            self.ensure_lane(lane)
            self._receivers[key] = self.client.get_queue_receiver(
                self._name(lane), receive_mode=ServiceBusReceiveMode.PEEK_LOCK, prefetch_count=self.prefetch,
                sub_queue=ServiceBusSubQueue.DEAD_LETTER if dead_lettered else None)
        return self._receivers[key]

    # The contract --------------------------------------------------------------------------------------------------
    def enqueue(self, lane: str, task_id: str, body: str = "", *, max_attempts: int, delay: float = 0.0) -> None:
        self.enqueue_many(lane, [(task_id, body)], max_attempts=max_attempts, delay=delay)

    def enqueue_many(self, lane: str, messages: Sequence[tuple[str, str]], *, max_attempts: int,
                     delay: float = 0.0) -> None:
        made = [self._message(task_id, task_id, body, 0, max_attempts) for task_id, body in messages]
        with self._lock:
            self._send(lane, made, delay)

    def _message(self, message_id: str, task_id: str, body: str | bytes, attempts: int, max_attempts: int,
                 error: str = "") -> ServiceBusMessage:
        return ServiceBusMessage(body, message_id=message_id, application_properties={
            TASK_ID: task_id, ATTEMPTS: attempts, MAX_ATTEMPTS: max_attempts, LAST_ERROR: error})

    def _send(self, lane: str, messages: list[ServiceBusMessage], delay: float) -> None:
        if not messages:
            return
        if delay > 0:
            self._sender(lane).schedule_messages(messages, datetime.now(UTC) + timedelta(seconds=delay))
        else:
            self._sender(lane).send_messages(messages)

    def receive(self, lane: str, *, max_messages: int = 1, lease_seconds: float = 60.0, wait_seconds: float = 0.0,
                dead_lettered: bool = False) -> list[Delivery]:
        got: list[Delivery] = []
        with self._lock:
            receiver = self._receiver(lane, dead_lettered)
            for message in receiver.receive_messages(max_message_count=max_messages,
                                                     max_wait_time=max(wait_seconds, 0.1)):
                delivery = self._lease(lane, receiver, message, lease_seconds, dead_lettered)
                if delivery is not None:
                    got.append(delivery)
        return got

    def _lease(self, lane: str, receiver: ServiceBusReceiver, message: ServiceBusReceivedMessage,
               lease_seconds: float, dead_lettered: bool) -> Delivery | None:
        header = message.raw_amqp_message.header
        earlier = int(header.delivery_count or 0) if header else 0  # AMQP: deliveries before this one
        attempt = int(_prop(message, ATTEMPTS, 0)) + (0 if dead_lettered else earlier + 1)
        max_attempts = int(_prop(message, MAX_ATTEMPTS, 1))
        if not dead_lettered and attempt > max_attempts:
            reason = dead_letter_reason(attempt - 1, max_attempts, str(_prop(message, LAST_ERROR, "") or ""))
            receiver.dead_letter_message(message, reason=MAX_ATTEMPTS_EXCEEDED, error_description=reason)
            return None
        if lease_seconds > self.lock_duration.total_seconds():
            self.renewer.register(receiver, message, max_lock_renewal_duration=lease_seconds)
        token = uuid.uuid4().hex
        self._leases[token] = _Lease(receiver, message)
        reason = ""
        if dead_lettered:
            reason = message.dead_letter_error_description or message.dead_letter_reason or MAX_ATTEMPTS_EXCEEDED
        body = b"".join(message.body).decode()  # a data body arrives as a sequence of byte sections
        return Delivery(lane, str(_prop(message, TASK_ID, message.message_id)), body, attempt, max_attempts,
                        token, time.time() + lease_seconds, reason)

    def _settle(self, delivery: Delivery, how) -> None:
        with self._lock:
            lease = self._leases.pop(delivery.lease_token, None)
            if lease is None:
                raise LeaseLost(delivery.task_id)
            try:
                how(lease)
            except (MessageLockLostError, ServiceBusError) as exc:
                if isinstance(exc, MessageLockLostError) or "lock" in str(exc).lower():
                    raise LeaseLost(delivery.task_id) from None
                raise

    def ack(self, delivery: Delivery) -> None:
        self._settle(delivery, lambda lease: lease.receiver.complete_message(lease.message))

    def release(self, delivery: Delivery, *, delay: float = 0.0, error: str = "") -> None:
        if delivery.last_attempt and not delivery.dead_letter_reason:
            return self.dead_letter(delivery, dead_letter_reason(delivery.attempt, delivery.max_attempts, error))
        if delivery.dead_letter_reason:
            return self._settle(delivery, lambda lease: lease.receiver.abandon_message(lease.message))

        def retry(lease: _Lease) -> None:
            copy = self._message(f"{delivery.task_id}#{delivery.attempt}", delivery.task_id, delivery.body,
                                 delivery.attempt, delivery.max_attempts, error)
            self._send(delivery.lane, [copy], delay)
            lease.receiver.complete_message(lease.message)  # after the copy is sent: two at worst, never none

        self._settle(delivery, retry)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        code = reason.split(" ", 1)[0].split(":", 1)[0]
        self._settle(delivery, lambda lease: lease.receiver.dead_letter_message(
            lease.message, reason=code, error_description=reason[:4000]))

    def renew(self, delivery: Delivery, lease_seconds: float) -> Delivery:
        with self._lock:
            lease = self._leases.get(delivery.lease_token)
            if lease is None:
                raise LeaseLost(delivery.task_id)
            try:
                self.renewer.register(lease.receiver, lease.message, max_lock_renewal_duration=lease_seconds)
            except ServiceBusError:
                raise LeaseLost(delivery.task_id) from None
        return replace(delivery, lease_expires_at=time.time() + lease_seconds)

    def depth(self, lane: str) -> int:
        if self.admin is None:
            raise NotImplementedError("queue depth needs the administration client (Manage rights)")
        return int(self.admin.get_queue_runtime_properties(self._name(lane)).active_message_count)

    def close(self) -> None:
        with self._lock:
            self.renewer.close()
            for handler in [*self._receivers.values(), *self._senders.values()]:
                handler.close()
            self.client.close()

    def delete_lane(self, lane: str) -> None:
        """Drop the lane's queue (tests); its messages are gone."""
        with self._lock:
            for key in [k for k in self._receivers if k[0] == lane]:
                self._receivers.pop(key).close()
            if lane in self._senders:
                self._senders.pop(lane).close()
        if self.admin is not None:
            self.admin.delete_queue(self._name(lane))
