"""The mesh as the gateway sees it: one traced channel per service, stubs for those it calls, and health."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

from leaf.calc.v1 import calc_pb2_grpc
from leaf.evidence.v1 import evidence_pb2_grpc
from leaf.publisher.v1 import publisher_pb2_grpc
from leaf.scope.v1 import scope_pb2_grpc

from runtime.clients import is_serving, open_channel


@dataclass
class Mesh:
    """Open inside the server's event loop: gRPC aio channels belong to the loop that creates them."""

    addresses: dict[str, str]
    timeout: float = 60.0

    def __post_init__(self) -> None:
        self.channels = {name: open_channel(address) for name, address in self.addresses.items()}
        self.scope = scope_pb2_grpc.ScopeServiceStub(self.channels["scope"])
        self.calc = calc_pb2_grpc.CalcServiceStub(self.channels["calc"])
        self.evidence = evidence_pb2_grpc.EvidenceServiceStub(self.channels["evidence"])
        self.publisher = publisher_pb2_grpc.PublisherServiceStub(self.channels["publisher"])

    async def health(self) -> dict[str, bool]:
        names = list(self.channels)
        answers = await asyncio.gather(*(is_serving(self.channels[n]) for n in names))
        return dict(zip(names, answers))

    async def close(self) -> None:
        await asyncio.gather(*(channel.close() for channel in self.channels.values()))
