"""The evidence service as the calc service sees it: packets covering a scope, parsed into domain values."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.clients import call
from runtime.convert import EVIDENCE_KIND_NAME, GOVERNANCE_NAME, scope_to_proto
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
    kind: str  # "contract_packet" or "rebate_evidence": the same word as the proto's EvidenceKind


class EvidenceClient:
    def __init__(self, channel) -> None:
        self.stub = evidence_pb2_grpc.EvidenceServiceStub(channel)

    async def for_scope(self, scope: Scope) -> tuple[Evidence[ContractPacket] | None, Evidence[RebateEvidence] | None]:
        """The contract packet and rebate evidence the evidence service's sufficiency answer names."""
        reply = await call(self.stub.CheckSufficiency, evidence_pb2.CheckSufficiencyRequest(scope=scope_to_proto(scope)))
        by_kind = {packet.kind: packet for packet in reply.packets}
        return (_parsed(by_kind.get(common_pb2.CONTRACT_PACKET), parse_contract),
                _parsed(by_kind.get(common_pb2.REBATE_EVIDENCE), parse_rebates))


def _parsed(packet, parse):
    if packet is None:
        return None
    return Evidence(parse(json.loads(packet.body_json)), packet.packet_id, packet.version, packet.sha256,
                    GOVERNANCE_NAME[packet.governance], EVIDENCE_KIND_NAME[packet.kind])
