"""EvidenceService over gRPC: translate, call the handler, translate back. No URL or local path leaves here."""
from __future__ import annotations

import asyncio

from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc

from runtime.convert import GOVERNANCE, scope_from_proto
from runtime.errors import NotFound
from services.evidence.adapters.repository import SqlPacketRepository
from services.evidence.domain.packets import CONTRACT, REBATES, StoredPacket
from services.evidence.service_layer import handlers

KIND = {CONTRACT: common_pb2.CONTRACT_PACKET, REBATES: common_pb2.REBATE_EVIDENCE}


def packet_to_proto(packet: StoredPacket) -> evidence_pb2.Packet:
    return evidence_pb2.Packet(
        packet_id=packet.packet_id, kind=KIND[packet.kind], client_id=packet.client_id, pbm_id=packet.pbm_id,
        governance=GOVERNANCE[packet.governance], effective_from=packet.effective_from.isoformat(),
        effective_to=packet.effective_to.isoformat(), sha256=packet.sha256, version=packet.version,
        body_json=packet.body_json,
        document=evidence_pb2.SourceDocument(system="onedrive", name=packet.document_name, sha256=packet.sha256,
                                             size=len(packet.body_json), retrieved_at=packet.retrieved_at),
    )


class EvidenceServicer(evidence_pb2_grpc.EvidenceServiceServicer):
    def __init__(self, packets: SqlPacketRepository) -> None:
        self.packets = packets

    async def _find(self, kind: str, request) -> evidence_pb2.FindEvidenceResponse:
        scope = scope_from_proto(request.scope)
        packet = await asyncio.to_thread(handlers.find_packet, kind, scope, self.packets)
        if packet is None:
            return evidence_pb2.FindEvidenceResponse(found=False)
        return evidence_pb2.FindEvidenceResponse(found=True, packet=packet_to_proto(packet))

    async def FindContractPacket(self, request, context):
        return await self._find(CONTRACT, request)

    async def FindRebateEvidence(self, request, context):
        return await self._find(REBATES, request)

    async def ListPackets(self, request, context):
        found = await asyncio.to_thread(handlers.list_packets, self.packets, request.client_id, request.pbm_id)
        return evidence_pb2.ListPacketsResponse(packets=[packet_to_proto(p) for p in found])

    async def GetPacket(self, request, context):
        found = [p for p in await asyncio.to_thread(self.packets.in_force) if p.packet_id == request.packet_id]
        if not found:
            raise NotFound("packet_not_found", f"no packet {request.packet_id!r}")
        return packet_to_proto(found[0])
