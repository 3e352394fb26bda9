"""The evidence use cases that write (service_layer/handlers.py: sync_documents, promote_packet) on a fake packet store
(tests/unit/evidence/fakes.py): a changed document is a new version, a refused one leaves the old in force, and every
version lands with its audit entry."""
import hashlib
import json
from datetime import UTC, date, datetime

import pytest

from kernel.errors import InputError, NotFound, NotReady
from services.evidence.domain.governance import INGESTED, PROMOTED, AuditEntry, PromotePacket
from services.evidence.domain.packets import CONTRACT, REBATES
from services.evidence.service_layer.handlers import promote_packet, sync_documents
from services.evidence.service_layer.ports import SourceDocument
from tests.unit.evidence.fakes import PDF, TREE, FakePackets, as_file, contract_body, rebates_body, the_pdf

NOW = datetime(2026, 1, 5, tzinfo=UTC)
LATER = datetime(2026, 2, 1, tzinfo=UTC)
OPS = "user:ops@leaf.example"


def synced(*documents, packets=None, now=NOW):
    packets = packets or FakePackets()
    return packets, sync_documents(list(documents), packets, now)


def test_sync_stores_each_packet_as_version_one_with_its_ingested_audit_entry_and_its_source_document():
    contract, rebates = as_file(contract_body(), "contract.packet.json"), as_file(rebates_body(), "r.rebates.json")
    packets, report = synced(the_pdf(), contract, rebates)
    assert report.added == ["CP-C001-PBMA-2025@1", "RB-C001-PBMA-2025@1"] and report.refused == []
    stored = {p.kind: p for p in packets.in_force()}
    assert stored[CONTRACT].body_json == contract.data   # the file's bytes, so its sha256 is the file's
    assert stored[CONTRACT].sha256 == hashlib.sha256(contract.data).hexdigest()
    assert (stored[REBATES].client_id, stored[REBATES].effective_from) == ("C001", date(2025, 1, 1))
    assert [(a.packet_id, a.version, a.action, a.to_governance, a.recorded_at) for a in packets.audit] == [
        ("CP-C001-PBMA-2025", 1, INGESTED, "governed_exact", "2026-01-05T00:00:00+00:00"),
        ("RB-C001-PBMA-2025", 1, INGESTED, "governed_exact", "2026-01-05T00:00:00+00:00")]
    document = packets.document(hashlib.sha256(PDF).hexdigest())
    assert document is not None and (document.name, document.content_type) == (TREE + "2025 contract.pdf",
                                                                              "application/pdf")


def test_the_same_bytes_again_are_unchanged_and_a_changed_file_is_the_next_version_in_force():
    packets, _ = synced(as_file(contract_body(), "c.packet.json"))
    _, again = synced(as_file(contract_body(), "c.packet.json"), packets=packets, now=LATER)
    assert (again.added, again.unchanged) == ([], 1) and len(packets.versions) == 1
    amended = as_file(contract_body(offset="all"), "c.packet.json")
    _, changed = synced(amended, packets=packets, now=LATER)
    assert changed.added == ["CP-C001-PBMA-2025@2"]
    assert [(p.version, p.body_json) for p in packets.in_force()] == [(2, amended.data)]
    assert packets.version_of("CP-C001-PBMA-2025", 1) is not None   # versions are appended, never removed


@pytest.mark.parametrize("document, reason", [
    (SourceDocument(TREE + "x.packet.json", b"{not json"), "not JSON"),
    (as_file(contract_body(effective_to="2024-12-31"), "x.packet.json"), "effective_to"),
    (as_file(contract_body(packet_id="CP-OTHER", effective_from="2025-07-01", effective_to="2026-06-30"),
             "x.packet.json"), "overlaps CP-C001-PBMA-2025"),
])
def test_a_refused_file_is_reported_by_name_and_the_packet_in_force_stays(document, reason):
    packets, _ = synced(as_file(contract_body(), "c.packet.json"))
    _, report = synced(document, packets=packets, now=LATER)
    assert report.added == [] and [name for name, _ in report.refused] == [TREE + "x.packet.json"]
    assert reason in report.refused[0][1]
    assert [(p.packet_id, p.version) for p in packets.in_force()] == [("CP-C001-PBMA-2025", 1)]
    assert len(packets.audit) == 1


def test_a_packet_naming_another_document_than_the_one_delivered_is_refused():
    packets, report = synced(the_pdf(b"%PDF-1.7 a draft, not the signed one"),
                             as_file(contract_body(), "c.packet.json"))
    assert report.refused == [(TREE + "c.packet.json", "source.sha256 does not match the document at source.path")]
    assert packets.versions == []


def test_a_candidate_is_promoted_as_a_new_version_with_the_operator_and_reason_in_its_audit_entry():
    packets, _ = synced(as_file(contract_body(governance="candidate"), "c.packet.json"))
    order = PromotePacket("CP-C001-PBMA-2025", "C001", "governed_exact", OPS, "signed copy received")
    promoted = promote_packet(order, packets, LATER)
    assert (promoted.version, promoted.governance) == (2, "governed_exact")
    assert json.loads(promoted.body_json)["governance"] == "governed_exact"
    assert promoted.sha256 == hashlib.sha256(promoted.body_json).hexdigest() != packets.versions[0].sha256
    assert packets.in_force() == [promoted]
    assert packets.audit[-1] == AuditEntry("CP-C001-PBMA-2025", 2, PROMOTED, "candidate", "governed_exact", OPS,
                                           "signed copy received", "2026-02-01T00:00:00+00:00")


def test_a_promotion_that_is_refused_writes_nothing():
    packets, _ = synced(as_file(contract_body(governance="candidate"), "c.packet.json"),
                        as_file(rebates_body(), "r.rebates.json"))
    refusals = [
        (PromotePacket("CP-C001-PBMA-2025", "C002", "governed_exact", OPS, "why"), NotFound, "packet_not_found"),
        (PromotePacket("CP-C001-PBMA-2025", "C001", "candidate", OPS, "why"), InputError, "bad_input:governance"),
        (PromotePacket("CP-C001-PBMA-2025", "C001", "governed_exact", OPS, " "), InputError, "bad_input:promotion"),
        (PromotePacket("RB-C001-PBMA-2025", "C001", "governed_lineage", OPS, "why"), NotReady, "not_a_candidate"),
    ]
    for order, error, code in refusals:
        with pytest.raises(error) as refused:
            promote_packet(order, packets, LATER)
        assert refused.value.code == code
    assert len(packets.versions) == len(packets.audit) == 2
