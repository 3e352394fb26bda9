"""Governance: promotion is an audited operator action creating a new version; overlapping windows are refused."""
import getpass
import json
import subprocess
import sys
from pathlib import Path

import pytest

from demo import ONEDRIVE_DIR
from kernel.errors import InputError, NotFound, NotReady
from runtime.settings import load_settings
from services.evidence.adapters.folder_source import ContractsFolder
from services.evidence.bootstrap import EvidenceSettings, open_packets
from services.evidence.domain.governance import PromotePacket
from services.evidence.service_layer.handlers import get_packet, promote_packet, sync_documents

CANDIDATE = "CP-C004-PBMB-2024"


@pytest.fixture
def packets(db_url):
    repository = open_packets(db_url)
    sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), repository)
    return repository


def test_promotion_is_a_new_version_with_an_audit_entry(packets):
    before = get_packet(CANDIDATE, "C004", packets)
    assert before.governance == "candidate"
    after = promote_packet(PromotePacket(CANDIDATE, "C004", "governed_exact", "user:ops@leaf.example", "executed copy received"),
                           packets)
    assert (after.version, after.governance) == (before.version + 1, "governed_exact")
    assert json.loads(after.body_json)["governance"] == "governed_exact" and after.sha256 != before.sha256
    assert get_packet(CANDIDATE, "C004", packets) == after
    log = packets.audit_of(CANDIDATE)
    assert [e.action for e in log] == ["ingested", "promoted"]
    assert (log[1].from_governance, log[1].to_governance, log[1].reason) == ("candidate", "governed_exact",
                                                                             "executed copy received")
    with pytest.raises(NotReady):  # already governed: nothing to promote
        promote_packet(PromotePacket(CANDIDATE, "C004", "governed_exact", "user:ops@leaf.example", "again"), packets)
    assert len(sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), packets).added) == 0  # promotion stays in force


@pytest.mark.parametrize("order, error", [
    (PromotePacket(CANDIDATE, "C004", "governed_exact", "", "why"), InputError),
    (PromotePacket(CANDIDATE, "C004", "governed_exact", "ops@leaf.example", "why"), InputError),  # no namespace
    (PromotePacket(CANDIDATE, "C004", "governed_exact", "service:domo", "why"), InputError),  # never an operator
    (PromotePacket(CANDIDATE, "C004", "governed_exact", "user:ops@leaf.example", " "), InputError),
    (PromotePacket(CANDIDATE, "C004", "candidate", "user:ops@leaf.example", "why"), InputError),
    (PromotePacket(CANDIDATE, "C001", "governed_exact", "user:ops@leaf.example", "why"), NotFound),  # another client's
])
def test_promotion_needs_operator_reason_target_and_the_right_client(packets, order, error):
    with pytest.raises(error):
        promote_packet(order, packets)
    assert get_packet(CANDIDATE, "C004", packets).governance == "candidate"


def test_an_overlapping_window_is_refused_and_the_packet_in_force_stays(packets, tmp_path):
    folder = tmp_path / "Clients" / "C001" / "PBM_A"
    folder.mkdir(parents=True)
    packet = json.loads((ONEDRIVE_DIR / "Clients/C001/PBM_A/contract-2025.packet.json").read_text())
    packet.update(packet_id="CP-C001-PBMA-2025B", effective_from="2025-06-01", effective_to="2026-05-31")
    (folder / "contract-2025b.packet.json").write_text(json.dumps(packet))
    report = sync_documents(ContractsFolder(tmp_path).documents(), packets)
    assert not report.added and "overlaps CP-C001-PBMA-2025" in report.refused[0][1]
    assert [p.packet_id for p in packets.in_force("contract_packet", "C001", "PBM_A")] == ["CP-C001-PBMA-2024",
                                                                                            "CP-C001-PBMA-2025"]


def test_the_cli_promotes_and_shows_the_audit_log(leaf_home):
    sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), open_packets(load_settings(EvidenceSettings).LEAF_EVIDENCE_DB_URL))
    done = subprocess.run([str(Path(sys.executable).parent / "leaf"), "evidence", "promote", CANDIDATE, "--client", "C004",
                           "--to", "governed_lineage", "--reason", "lineage verified"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["governance"] == "governed_lineage"
    audit = subprocess.run([str(Path(sys.executable).parent / "leaf"), "evidence", "audit", CANDIDATE],
                           capture_output=True, text=True, check=True)
    entries = json.loads(audit.stdout)
    assert [e["action"] for e in entries] == ["ingested", "promoted"]
    # The OS account that opened the database decided; the command has no way to name anyone else.
    assert entries[1]["operator"] == f"local:{getpass.getuser()}"
    named = subprocess.run([str(Path(sys.executable).parent / "leaf"), "evidence", "promote", CANDIDATE, "--client",
                            "C004", "--to", "governed_exact", "--operator", "ceo@leaf.example", "--reason", "x"],
                           capture_output=True, text=True)
    assert named.returncode == 2 and "--operator" in named.stderr


def test_a_document_whose_hash_does_not_match_is_refused(packets, tmp_path):
    folder = tmp_path / "Clients" / "C001" / "PBM_A"
    folder.mkdir(parents=True)
    packet = json.loads((ONEDRIVE_DIR / "Clients/C001/PBM_A/contract-2025.packet.json").read_text())
    packet["offset"] = "all"  # a new version of the packet …
    (folder / "contract-2025.packet.json").write_text(json.dumps(packet))
    (folder / "2025 contract.pdf").write_bytes(b"%PDF-1.4 tampered")  # … delivered with the wrong document
    report = sync_documents(ContractsFolder(tmp_path).documents(), packets)
    assert not report.added
    assert report.refused == [("Clients/C001/PBM_A/contract-2025.packet.json",
                               "source.sha256 does not match the document at source.path")]
    assert get_packet("CP-C001-PBMA-2025", "C001", packets).version == 1


def test_each_contract_keeps_its_source_document(packets):
    from services.evidence.service_layer.handlers import document_for

    document = document_for("CP-C001-PBMA-2025", "C001", packets)
    assert document.content_type == "application/pdf" and document.data.startswith(b"%PDF")
    assert document.name == "Clients/C001/PBM_A/2025 contract.pdf"
    with pytest.raises(NotFound):
        document_for("CP-C001-PBMA-2025", "C002", packets)
    with pytest.raises(NotFound):  # rebate evidence names no document
        document_for("RB-C001-PBMA-2025", "C001", packets)
