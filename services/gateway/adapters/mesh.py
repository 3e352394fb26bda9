"""The mesh as the gateway sees it: one traced channel per service, stubs for those it calls, the caller's signed
identity and grants for each call, and health."""
from __future__ import annotations

import asyncio
import contextvars
import time
from dataclasses import dataclass

from leaf.calc.v1 import calc_pb2_grpc
from leaf.evidence.v1 import evidence_pb2_grpc
from leaf.itr.v1 import itr_pb2_grpc
from leaf.publisher.v1 import publisher_pb2_grpc
from leaf.scope.v1 import scope_pb2_grpc
from leaf.takeover.v1 import takeover_pb2_grpc
from leaf.tasks.v1 import tasks_pb2_grpc
from runtime.clients import is_serving, open_channel
from services.gateway.adapters.callers import CallerAssertions, Metadata
from services.gateway.adapters.grants import Grants
from services.gateway.domain.identity import Identity

# When the HTTP request being served must be answered by (monotonic seconds); set per request by middleware,
# so every gRPC call of the request gets what is left as its deadline.
request_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)


@dataclass
class Mesh:
    """Open inside the server's event loop: gRPC aio channels belong to the loop that creates them."""

    addresses: dict[str, str]
    callers: CallerAssertions
    timeout: float = 60.0

    def __post_init__(self) -> None:
        self.channels = {name: open_channel(address) for name, address in self.addresses.items()}
        self.scope = scope_pb2_grpc.ScopeServiceStub(self.channels["scope"])
        self.calc = calc_pb2_grpc.CalcServiceStub(self.channels["calc"])
        self.evidence = evidence_pb2_grpc.EvidenceServiceStub(self.channels["evidence"])
        self.publisher = publisher_pb2_grpc.PublisherServiceStub(self.channels["publisher"])
        self.tasks = tasks_pb2_grpc.TasksServiceStub(self.channels["tasks"])
        self.itr = itr_pb2_grpc.ItrServiceStub(self.channels["itr"])
        self.takeover = takeover_pb2_grpc.TakeoverServiceStub(self.channels["takeover"])
        self.grants = Grants(self.scope, self.callers, self.timeout)

    def as_caller(self, identity: Identity, grant: Metadata = ()) -> Metadata:
        """Metadata of one call made for `identity`: its signed identity (every service verifies it), and the
        scope grant when the call reads or computes client data."""
        return (*self.callers.metadata(identity), *grant)

    def remaining(self) -> float:
        """Seconds left for the current request (the configured timeout outside one): a gRPC deadline."""
        deadline = request_deadline.get()
        return self.timeout if deadline is None else max(deadline - time.monotonic(), 0.001)

    async def health(self) -> dict[str, bool]:
        names = list(self.channels)
        answers = await asyncio.gather(*(is_serving(self.channels[n]) for n in names))
        return dict(zip(names, answers))

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self.channels.values()))
