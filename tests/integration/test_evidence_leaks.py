"""Nothing the evidence service says — replies, errors, log lines — carries a URL, a token or a local path."""
import logging
import shutil

import grpc
import pytest

from demo import ONEDRIVE_DIR
from kernel.scope import Scope
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.logs import JsonFormatter
from services.evidence.bootstrap import EvidenceServiceSettings, bootstrap
from tests.integration.mesh_fixtures import channel_to, read_grant, running

FORBIDDEN = ("http://", "https://", "Bearer ", "tempauth", "/work/", "/tmp/", "/root/", "sqlite:")


@pytest.fixture
def contracts(tmp_path):
    """The demo tree plus documents that must be refused, so error paths are exercised too."""
    tree = tmp_path / "onedrive"
    shutil.copytree(ONEDRIVE_DIR, tree)
    broken = tree / "Clients" / "C001" / "PBM_A"
    (broken / "broken-2026.packet.json").write_text('{"packet_id": "CP-BROKEN", "terms": 5}')
    (broken / "notjson-2026.packet.json").write_bytes(b"\xff\xfe not json")
    return tree


async def test_every_reply_error_and_log_line_is_clean(tmp_path, contracts, caplog):
    caplog.set_level(logging.DEBUG)
    deps = bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}",
                                      LEAF_CONTRACTS_DIR=str(contracts)))
    said: list[str] = []
    async with running(deps) as address, channel_to(address) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        scope = scope_to_proto(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"))
        calls = [
            (stub.FindContractPacket, evidence_pb2.FindEvidenceRequest(scope=scope)),
            (stub.FindRebateEvidence, evidence_pb2.FindEvidenceRequest(scope=scope)),
            (stub.CheckSufficiency, evidence_pb2.CheckSufficiencyRequest(scope=scope)),
            (stub.FindProposal, evidence_pb2.FindProposalRequest(scope=scope, proposal_id="PR-C001-PBMA-2026")),
            (stub.FindProposal, evidence_pb2.FindProposalRequest(scope=scope, proposal_id="PR-C002-PBMC-2026")),
            (stub.CheckSufficiency, evidence_pb2.CheckSufficiencyRequest(scope=scope, formula_ids=["nope"])),
            (stub.ListPackets, evidence_pb2.ListPacketsRequest(client_id="C001")),
            (stub.ListPackets, evidence_pb2.ListPacketsRequest()),
            (stub.GetPacket, evidence_pb2.GetPacketRequest(packet_id="CP-C001-PBMA-2025", client_id="C001")),
            (stub.GetPacket, evidence_pb2.GetPacketRequest(packet_id="CP-C001-PBMA-2025", client_id="C002")),
            (stub.GetDocument, evidence_pb2.GetDocumentRequest(packet_id="RB-C001-PBMA-2025", client_id="C001")),
            (stub.PromotePacket, evidence_pb2.PromotePacketRequest(packet_id="CP-C001-PBMA-2025", client_id="C001",
                                                                   governance=common_pb2.GOVERNED_EXACT, reason="r")),
        ]
        for method, request in calls:
            try:
                reply = await method(request, metadata=read_grant("C001"))
                said.append(_text(reply))
            except grpc.aio.AioRpcError as failure:
                said.append(f"{failure.code()} {failure.details()} {failure.trailing_metadata()}")
    formatter = JsonFormatter("evidence")
    said += [formatter.format(record) for record in caplog.records]
    assert any("packet refused" in line for line in said)  # the broken documents were logged …
    for line in said:  # … and nothing anywhere names a URL, a token or a local path
        assert not any(forbidden in line for forbidden in FORBIDDEN), line


def _text(reply) -> str:
    fields = [str(reply)]
    for packet in getattr(reply, "packets", []):
        fields.append(packet.body_json.decode())
    return " ".join(fields)
