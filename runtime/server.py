"""The server skeleton every service uses: health, reflection, tracing, error mapping, graceful stop."""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from opentelemetry.instrumentation.grpc import aio_server_interceptor

from runtime.grant_guard import GrantInterceptor
from runtime.grant_keys import GrantKeys
from runtime.grpc_errors import DomainErrorInterceptor
from runtime.identity_guard import IdentityInterceptor
from runtime.identity_keys import IdentityKeys
from runtime.message_size import channel_options, max_message_bytes

log = logging.getLogger(__name__)
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _nothing() -> None:
    return None


@dataclass
class ServiceDeps:
    """What a service brings to the skeleton: its servicers, and how to tell and wait that it is ready."""

    name: str
    servicers: list[tuple[Callable[[Any, grpc.aio.Server], None], Any]]
    service_names: list[str]
    ready: Callable[[], Awaitable[bool]] = field(default=lambda: asyncio.sleep(0, True))
    close: Callable[[], Awaitable[None]] = _nothing
    health: health.aio.HealthServicer = field(default_factory=health.aio.HealthServicer)
    # Set: every method outside `open_methods` (full names, "/pkg.Service/Method") needs a valid scope grant.
    grant_keys: GrantKeys | None = None
    open_methods: frozenset[str] = frozenset()
    # Required (create_server refuses None): every method but health and reflection needs a verified caller identity.
    identity_keys: IdentityKeys | None = None
    # Both directions, the same number every client uses (LEAF_GRPC_MAX_MESSAGE_BYTES).
    max_message_bytes: int = field(default_factory=max_message_bytes)


async def create_server(address: str, deps: ServiceDeps) -> tuple[grpc.aio.Server, int]:
    """Build (not start) the server on `address`; port 0 picks a free port, which is returned."""
    if deps.identity_keys is None:
        raise ValueError(f"the {deps.name} service has no identity keys: it would serve callers it cannot verify")
    # Inside the error interceptor, so a refused identity leaves as UNAUTHENTICATED with its reason; before the
    # grant interceptor, so who is calling is settled before what they may see.
    interceptors = [aio_server_interceptor(), DomainErrorInterceptor(), IdentityInterceptor(deps.identity_keys)]
    if deps.grant_keys is not None:
        # Inside the error interceptor, so a refused grant leaves as PERMISSION_DENIED with its reason.
        interceptors.append(GrantInterceptor(deps.grant_keys, deps.open_methods))
    server = grpc.aio.server(interceptors=interceptors, options=channel_options(deps.max_message_bytes))
    for add, servicer in deps.servicers:
        add(servicer, server)
    health_pb2_grpc.add_HealthServicer_to_server(deps.health, server)
    # Until the dependencies answer, a probe must not route traffic here.
    for name in ["", *deps.service_names]:
        await deps.health.set(name, NOT_SERVING)
    names = [*deps.service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server)
    port = server.add_insecure_port(address)
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return server, port


async def mark_when_ready(deps: ServiceDeps, interval: float = 0.5) -> None:
    """Poll the service's own readiness check, then flip health to SERVING."""
    while not await deps.ready():
        await asyncio.sleep(interval)
    for name in ["", *deps.service_names]:
        await deps.health.set(name, SERVING)
    log.info("serving", extra={"service_name": deps.name})


async def serve(deps: ServiceDeps, address: str, grace: float = 10.0) -> None:
    """Run until SIGTERM/SIGINT: NOT_SERVING first, then stop with a grace period for calls in flight."""
    server, port = await create_server(address, deps)
    await server.start()
    log.info("listening", extra={"service_name": deps.name, "port": port})
    readiness = asyncio.create_task(mark_when_ready(deps))
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    await stopping.wait()
    readiness.cancel()
    await deps.health.enter_graceful_shutdown()
    log.info("stopping", extra={"service_name": deps.name, "grace_seconds": grace})
    await server.stop(grace)
    await deps.close()


def database_service(name: str, engine, servicers: list, service_names: list[str], grant_keys: GrantKeys | None = None,
                     open_methods: frozenset[str] = frozenset(),
                     identity_keys: IdentityKeys | None = None) -> ServiceDeps:
    """A service whose only dependency is its own database: ready once the database answers."""
    from runtime.db import reachable

    async def ready() -> bool:
        return await asyncio.to_thread(reachable, engine)

    async def close() -> None:
        engine.dispose()

    return ServiceDeps(name, servicers, service_names, ready=ready, close=close, grant_keys=grant_keys,
                       open_methods=open_methods, identity_keys=identity_keys)
