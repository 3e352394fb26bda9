"""The evidence service as the calc service sees it: packets covering a scope (and a named proposal), parsed."""
from __future__ import annotations

import json

from kernel.errors import Internal
from kernel.packets import parse_contract, parse_proposal, parse_rebates
from kernel.scope import Scope
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.clients import call
from runtime.convert import EVIDENCE_KIND_NAME, GOVERNANCE_NAME, scope_to_proto
from services.calc.service_layer.ports import Evidence, ScopeEvidence


class EvidenceClient:
    def __init__(self, channel) -> None:
        self.stub = evidence_pb2_grpc.EvidenceServiceStub(channel)

    async def for_scope(self, scope: Scope, proposal_id: str = "") -> ScopeEvidence:
        """The contract packet, rebate evidence and (when named) proposal the sufficiency answer names."""
        request = evidence_pb2.CheckSufficiencyRequest(scope=scope_to_proto(scope), proposal_id=proposal_id)
        reply = await call(self.stub.CheckSufficiency, request)
        by_kind = {packet.kind: packet for packet in reply.packets}
        return ScopeEvidence(_parsed(by_kind.get(common_pb2.CONTRACT_PACKET), parse_contract),
                             _parsed(by_kind.get(common_pb2.REBATE_EVIDENCE), parse_rebates),
                             _parsed(by_kind.get(common_pb2.PROPOSAL), parse_proposal))

    async def as_recorded(self, reference: dict, client_id: str) -> Evidence:
        """Exactly the version a run's lineage names (`evidence_id`, `kind`, `version`), checked against its sha256:
        what the run was computed with, even after a newer version came into force."""
        request = evidence_pb2.GetPacketRequest(packet_id=reference["evidence_id"], client_id=client_id,
                                                version=reference["version"])
        packet = await call(self.stub.GetPacket, request, retries=2)   # a read: idempotent
        if packet.sha256 != reference["sha256"]:
            raise Internal("run_evidence_mismatch", f"the evidence service's {reference['evidence_id']} version "
                                                    f"{reference['version']} is not the one the run recorded")
        return _parsed(packet, _PARSERS[reference["kind"]])


_PARSERS = {"contract_packet": parse_contract, "rebate_evidence": parse_rebates, "proposal": parse_proposal}


def _parsed(packet, parse):
    if packet is None:
        return None
    return Evidence(parse(json.loads(packet.body_json)), packet.packet_id, packet.version, packet.sha256,
                    GOVERNANCE_NAME[packet.governance], EVIDENCE_KIND_NAME[packet.kind], packet.client_id,
                    packet.pbm_id)
