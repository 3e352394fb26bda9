"""The evidence service as the calc service sees it: packets covering a scope, parsed into domain values."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc

from runtime.clients import call
from runtime.convert import GOVERNANCE_NAME, scope_to_proto
from runtime.packets import ContractPacket, RebateEvidence, parse_contract, parse_rebates
from runtime.scope import Scope

T = TypeVar("T")


@dataclass(frozen=True)
class Evidence(Generic[T]):
    """A parsed packet with the reference a run records in its lineage."""

    value: T
    packet_id: str
    version: int
    sha256: str
    governance: str
    kind: int


class EvidenceClient:
    def __init__(self, channel) -> None:
        self.stub = evidence_pb2_grpc.EvidenceServiceStub(channel)

    async def contract(self, scope: Scope) -> Evidence[ContractPacket] | None:
        return await self._find(self.stub.FindContractPacket, scope, parse_contract)

    async def rebates(self, scope: Scope) -> Evidence[RebateEvidence] | None:
        return await self._find(self.stub.FindRebateEvidence, scope, parse_rebates)

    async def _find(self, method, scope: Scope, parse):
        reply = await call(method, evidence_pb2.FindEvidenceRequest(scope=scope_to_proto(scope)))
        if not reply.found:
            return None
        packet = reply.packet
        return Evidence(parse(json.loads(packet.body_json)), packet.packet_id, packet.version, packet.sha256,
                        GOVERNANCE_NAME[packet.governance], packet.kind)
