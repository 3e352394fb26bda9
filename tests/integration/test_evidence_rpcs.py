"""Every evidence RPC stays inside one client and PBM; sufficiency follows calculations.md 4 and agrees with runs."""
import json

import grpc
import pytest

from demo import load_registry
from kernel.scope import Scope
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.convert import READINESS_NAME, scope_to_proto
from services.evidence.bootstrap import EvidenceServiceSettings, bootstrap
from tests.integration.mesh_fixtures import as_operator, channel_to, grant_for, read_grant, running

PLANS = sorted({(p["client_id"], p["pbm_id"]) for p in load_registry()["plans"]})


@pytest.fixture
async def evidence(tmp_path):
    deps = bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}"))
    async with running(deps) as address, channel_to(address) as channel:
        yield evidence_pb2_grpc.EvidenceServiceStub(channel)


def request_for(client, pbm, start="2025-01-01", end="2025-12-31"):
    return scope_to_proto(Scope.parse(client, pbm, start, end))


def granted(client, pbm, start="2025-01-01", end="2025-12-31"):
    """The exact grant the gateway sends with a check of this scope."""
    return grant_for(Scope.parse(client, pbm, start, end))


async def statuses(stub, client, pbm, start="2025-01-01", end="2025-12-31"):
    reply = await stub.CheckSufficiency(evidence_pb2.CheckSufficiencyRequest(scope=request_for(client, pbm, start, end)),
                                        metadata=granted(client, pbm, start, end))
    return {f.formula_id: (READINESS_NAME[f.status], list(f.reasons), list(f.missing_evidence)) for f in reply.formulas}, reply


async def test_sufficiency_follows_the_evidence_rules(evidence):
    c006, _ = await statuses(evidence, "C006", "PBM_B")
    assert c006["rebate_guarantee"] == ("blocked", ["rebate_evidence_missing"], ["rebate_evidence"])
    assert c006["awp_discount_guarantee"][0] == "final"
    c004, _ = await statuses(evidence, "C004", "PBM_B", "2024-01-01", "2024-12-31")
    assert c004["awp_discount_guarantee"] == ("modeled", ["candidate_contract_evidence"], ["governed_contract_packet"])
    c003, _ = await statuses(evidence, "C003", "PBM_B", "2025-07-01", "2025-12-31")
    assert "partial_contract_scope" in c003["awp_discount_guarantee"][1]
    assert "rebate_evidence_period_mismatch" in c003["rebate_guarantee"][1]
    none, reply = await statuses(evidence, "C001", "PBM_A", "2023-01-01", "2023-12-31")
    assert none["awp_discount_guarantee"] == ("blocked", ["contract_evidence_missing"], ["contract_packet"])
    assert not reply.packets


async def test_unknown_formula_is_refused(evidence):
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await evidence.CheckSufficiency(evidence_pb2.CheckSufficiencyRequest(scope=request_for("C001", "PBM_A"),
                                                                             formula_ids=["no_such_formula"]),
                                        metadata=granted("C001", "PBM_A"))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("client, pbm", PLANS)
async def test_no_rpc_answers_with_another_clients_evidence(evidence, client, pbm):
    scope, grant = request_for(client, pbm), granted(client, pbm)
    answers = [await evidence.FindContractPacket(evidence_pb2.FindEvidenceRequest(scope=scope), metadata=grant),
               await evidence.FindRebateEvidence(evidence_pb2.FindEvidenceRequest(scope=scope), metadata=grant)]
    packets = [a.packet for a in answers if a.found]
    packets += list((await evidence.CheckSufficiency(evidence_pb2.CheckSufficiencyRequest(scope=scope),
                                                     metadata=grant)).packets)
    listed = await evidence.ListPackets(evidence_pb2.ListPacketsRequest(client_id=client), metadata=read_grant(client))
    packets += list(listed.packets)
    for packet in packets:
        assert packet.client_id == client and json.loads(packet.body_json)["client_id"] == client
    assert all(p.pbm_id == pbm for p in packets[:len(answers)])
    other = "C001" if client != "C001" else "C002"
    others = await evidence.ListPackets(evidence_pb2.ListPacketsRequest(client_id=other), metadata=read_grant(other))
    for packet in others.packets:
        # Even a grant over both clients: the packet is asked for under the wrong client.
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await evidence.GetPacket(evidence_pb2.GetPacketRequest(packet_id=packet.packet_id, client_id=client),
                                     metadata=read_grant(client, other))
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND


async def test_listing_needs_a_client(evidence):
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await evidence.ListPackets(evidence_pb2.ListPacketsRequest(), metadata=read_grant("C001"))
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_packets_carry_no_url_token_or_local_path(evidence):
    reply = await evidence.ListPackets(evidence_pb2.ListPacketsRequest(client_id="C001"), metadata=read_grant("C001"))
    text = str(reply)
    for forbidden in ("http://", "https://", "/work/", "/tmp/", "Bearer", "tempauth"):
        assert forbidden not in text
    assert all(p.document.name.startswith("Clients/C001/") for p in reply.packets)
    assert {p.kind for p in reply.packets} == {common_pb2.CONTRACT_PACKET, common_pb2.REBATE_EVIDENCE,
                                               common_pb2.PROPOSAL}


async def test_a_proposal_is_found_by_id_for_the_granted_scope_and_named_by_sufficiency(evidence):
    request = dict(scope=request_for("C001", "PBM_A"), proposal_id="PR-C001-PBMA-2026")
    found = await evidence.FindProposal(evidence_pb2.FindProposalRequest(**request), metadata=granted("C001", "PBM_A"))
    assert (found.found, found.packet.kind, found.packet.governance) == (True, common_pb2.PROPOSAL, common_pb2.PROPOSED)
    assert (found.packet.client_id, found.packet.pbm_id, found.packet.effective_from) == ("C001", "PBM_A", "2026-01-01")
    assert json.loads(found.packet.body_json)["proposal_id"] == "PR-C001-PBMA-2026"
    checked = await evidence.CheckSufficiency(evidence_pb2.CheckSufficiencyRequest(**request),
                                              metadata=granted("C001", "PBM_A"))
    repricing = next(f for f in checked.formulas if f.formula_id == "repricing_savings")
    assert (READINESS_NAME[repricing.status], list(repricing.reasons)) == ("modeled", ["proposal_is_modeled"])
    assert {(e.evidence_id, e.kind) for e in checked.evidence} >= {("PR-C001-PBMA-2026", common_pb2.PROPOSAL)}
    assert "PR-C001-PBMA-2026" in {p.packet_id for p in checked.packets}
    # C001's grant, C001's scope, C002's proposal: as absent as one that does not exist, from either RPC.
    foreign = dict(scope=request_for("C001", "PBM_A"), proposal_id="PR-C002-PBMC-2026")
    for call in (evidence.FindProposal(evidence_pb2.FindProposalRequest(**foreign), metadata=granted("C001", "PBM_A")),
                 evidence.CheckSufficiency(evidence_pb2.CheckSufficiencyRequest(**foreign),
                                           metadata=granted("C001", "PBM_A"))):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await call
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND


async def test_promotion_over_grpc_stays_inside_the_client(evidence):
    order = dict(packet_id="CP-C004-PBMB-2024", governance=common_pb2.GOVERNED_EXACT, reason="executed copy received")
    with pytest.raises(grpc.aio.AioRpcError) as failure:
        await evidence.PromotePacket(evidence_pb2.PromotePacketRequest(client_id="C001", **order),
                                     metadata=as_operator(read_grant("C001", "C004")))
    assert failure.value.code() == grpc.StatusCode.NOT_FOUND
    promoted = await evidence.PromotePacket(evidence_pb2.PromotePacketRequest(client_id="C004", **order),
                                            metadata=as_operator(read_grant("C004")))
    assert json.loads(promoted.body_json)["governance"] == "governed_exact"
    assert promoted.governance == common_pb2.GOVERNED_EXACT and promoted.version == 2
    modeled, _ = await statuses(evidence, "C004", "PBM_B", "2024-01-01", "2024-12-31")
    assert modeled["awp_discount_guarantee"][0] == "final"


async def test_a_packet_version_a_run_recorded_stays_readable_after_a_newer_one_is_in_force(evidence):
    """GetPacket with `version`: exactly that version (what a run's lineage names), in force or not; without one, the
    version in force; another client's version is as absent as a packet that does not exist."""
    order = dict(packet_id="CP-C004-PBMB-2024", governance=common_pb2.GOVERNED_EXACT, reason="executed copy received")
    await evidence.PromotePacket(evidence_pb2.PromotePacketRequest(client_id="C004", **order),
                                 metadata=as_operator(read_grant("C004")))

    async def get(client_id, version=0):
        return await evidence.GetPacket(evidence_pb2.GetPacketRequest(packet_id="CP-C004-PBMB-2024", client_id=client_id,
                                                                      version=version), metadata=read_grant(client_id))

    first, second, in_force = await get("C004", 1), await get("C004", 2), await get("C004")
    assert (first.version, first.governance, json.loads(first.body_json)["governance"]) == \
        (1, common_pb2.CANDIDATE, "candidate")
    assert (second.version, second.sha256) == (in_force.version, in_force.sha256) != (first.version, first.sha256)
    for client_id, version in (("C001", 1), ("C004", 3)):
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await get(client_id, version)
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND, (client_id, version)
