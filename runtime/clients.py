"""gRPC client channels: traced, with keepalive, and a health probe used by readiness checks."""
from __future__ import annotations

import asyncio
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from runtime.grant_guard import forwarding_interceptors
from runtime.grpc_errors import from_rpc_error
from runtime.identity_guard import identity_forwarding_interceptors
from runtime.message_size import channel_options, max_message_bytes, too_large_of


# No client keepalive: servers by default refuse pings more often than every 5 minutes (GOAWAY too_many_pings).
# The message limit is the servers' own (LEAF_GRPC_MAX_MESSAGE_BYTES): neither side accepts what the other refuses.
def open_channel(address: str, max_bytes: int | None = None) -> grpc.aio.Channel:
    """A traced plaintext channel to `host:port`: inside the cluster NetworkPolicies fence who may connect;
    transport encryption between pods is not provided yet (docs/known-gaps.md).

    A call made while serving a guarded RPC carries that RPC's scope grant and caller identity unless it sets its own.
    `max_bytes` overrides the process's message limit (a test of the limit itself)."""
    options = channel_options(max_bytes or max_message_bytes())
    return grpc.aio.insecure_channel(address, options=options,
                                     interceptors=[*aio_client_interceptors(), *forwarding_interceptors(),
                                                   *identity_forwarding_interceptors()])


async def is_serving(channel: grpc.aio.Channel, service: str = "", timeout: float = 2.0) -> bool:
    """Whether the standard health service at the other end answers SERVING."""
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=service), timeout=timeout
        )
    except grpc.aio.AioRpcError:
        return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


# Only an answer that never arrived is retried: the service may not have seen the call at all.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})


async def call(method, request, *, timeout: float = 30.0, metadata=None, retries: int = 0, backoff: float = 0.05):
    """Call a unary RPC; a downstream failure comes back as the domain error it was.

    `retries` > 0 only for idempotent calls: each retry waits twice as long as the last, and none starts
    once the deadline (`timeout`, the caller's whole budget) could not cover it.
    """
    deadline = time.monotonic() + timeout
    for attempt in range(retries + 1):
        try:
            return await method(request, timeout=max(deadline - time.monotonic(), 0.001), metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            pause = backoff * 2 ** attempt
            if attempt == retries or exc.code() not in RETRYABLE or time.monotonic() + pause >= deadline:
                raise domain_error_of(exc) from None
            await asyncio.sleep(pause)


def domain_error_of(exc: grpc.aio.AioRpcError):
    """The domain error behind a failed call; gRPC's own message-size refusal becomes result_too_large."""
    return too_large_of(exc) or from_rpc_error(exc)
