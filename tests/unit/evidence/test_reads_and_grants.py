"""The evidence use cases that read (service_layer/handlers.py: find_packet, list_packets, get_packet, document_for,
source_document, check_sufficiency, find_proposal) and their granted twins (find_granted, list_granted,
packet_granted, document_granted, sufficiency_granted, proposal_granted, promote_granted) on a fake packet store
(tests/unit/evidence/fakes.py): one client's evidence at a time, and anything outside the grant answered exactly as
what does not exist."""
from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, NotFound
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.evidence.domain.governance import PromotePacket
from services.evidence.domain.packets import CONTRACT, REBATES
from services.evidence.service_layer import handlers as h
from tests.unit.evidence.fakes import PDF, TREE, FakePackets, as_file, contract_body, rebates_body, the_pdf

NOW = datetime(2026, 1, 5, tzinfo=UTC)
C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
OPS = "user:ops@leaf.example"
PROPOSAL = {"proposal_id": "PR-C001-PBMA-2026", "client_id": "C001", "pbm_id": "PBM_A",
            "effective_from": "2026-01-01", "effective_to": "2026-12-31",
            "exclusions": {"uc_claims": True, "compounds": True},
            "terms": [{"channel": "RETAIL_30", "brand_generic": "B", "awp_discount": "0.2000",
                       "dispensing_fee": "1.00", "rebate_per_claim": None}]}


@pytest.fixture
def packets() -> FakePackets:
    """C001/PBM_A: a 2025 contract (amended once, so version 2 is in force) with its PDF, a mid-2026 contract, rebate
    evidence and a proposal; C002/PBM_C: a contract without a source document."""
    store = FakePackets()
    h.sync_documents([the_pdf(), as_file(contract_body(), "c.packet.json"), as_file(rebates_body(), "r.rebates.json"),
                      as_file(PROPOSAL, "p.proposal.json"),
                      as_file(contract_body(packet_id="CP-C001-PBMA-2026", effective_from="2026-01-01",
                                            effective_to="2026-12-31", source={"system": "onedrive"}),
                              "c26.packet.json"),
                      as_file(contract_body(packet_id="CP-C002", client_id="C002", pbm_id="PBM_C",
                                            source={"system": "onedrive"}), "Clients/C002/PBM_C/c.packet.json")],
                     store, NOW)
    h.sync_documents([as_file(contract_body(offset="all"), "c.packet.json")], store, NOW)
    return store


def read_grant(*areas: Area) -> Grant:
    return Grant(None, areas, "user:ana@leaf.example", NOW, NOW, "k1")


def exact_grant(scope: Scope) -> Grant:
    return Grant(scope, (Area(scope.client_id, scope.group_ids),), "user:ana@leaf.example", NOW, NOW, "k1")


def code_of(call) -> tuple[str, str]:
    with pytest.raises((NotFound, InputError)) as refused:
        call()
    return refused.value.code, refused.value.message


def test_the_packet_covering_a_scope_is_its_client_and_pbms_that_overlaps_its_window_most(packets):
    assert h.find_packet(CONTRACT, C001, packets).packet_id == "CP-C001-PBMA-2025"
    straddling = Scope.parse("C001", "PBM_A", "2025-10-01", "2026-06-30")
    assert h.find_packet(CONTRACT, straddling, packets).packet_id == "CP-C001-PBMA-2026"
    assert h.find_packet(REBATES, C001, packets).packet_id == "RB-C001-PBMA-2025"
    # Never another PBM's packet, and never a substitute when nothing overlaps.
    assert h.find_packet(CONTRACT, Scope.parse("C001", "PBM_C", "2025-01-01", "2025-12-31"), packets) is None
    assert h.find_packet(CONTRACT, Scope.parse("C001", "PBM_A", "2027-01-01", "2027-12-31"), packets) is None


def test_packets_are_listed_for_one_client_in_force_and_never_across_clients(packets):
    assert [(p.packet_id, p.version) for p in h.list_packets(packets, "C001", "")] == [
        ("CP-C001-PBMA-2025", 2), ("CP-C001-PBMA-2026", 1), ("PR-C001-PBMA-2026", 1), ("RB-C001-PBMA-2025", 1)]
    assert [p.packet_id for p in h.list_packets(packets, "C002", "PBM_C")] == ["CP-C002"]
    assert h.list_packets(packets, "C002", "PBM_A") == []
    assert code_of(lambda: h.list_packets(packets, "", "PBM_A"))[0] == "client_id_required"


def test_a_packet_is_read_in_force_or_at_the_exact_version_a_run_recorded_and_only_for_its_client(packets):
    assert h.get_packet("CP-C001-PBMA-2025", "C001", packets).version == 2
    first = h.get_packet("CP-C001-PBMA-2025", "C001", packets, version=1)
    assert (first.version, b'"offset": "none"' in first.body_json) == (1, True)
    answers = {code_of(lambda: h.get_packet("CP-C001-PBMA-2025", "C002", packets))[0],
               code_of(lambda: h.get_packet("CP-C001-PBMA-2025", "C002", packets, version=1))[0],
               code_of(lambda: h.get_packet("CP-C001-PBMA-2025", "C001", packets, version=9))[0],
               code_of(lambda: h.get_packet("CP-NONE", "C001", packets))[0]}
    assert answers == {"packet_not_found"}


def test_a_packets_source_document_is_the_delivered_file_it_names(packets):
    document = h.document_for("CP-C001-PBMA-2025", "C001", packets)
    assert (document.name, document.data) == (TREE + "2025 contract.pdf", PDF)
    assert h.source_document(h.get_packet("CP-C001-PBMA-2026", "C001", packets), packets) is None
    assert code_of(lambda: h.document_for("CP-C001-PBMA-2026", "C001", packets))[0] == "document_not_found"
    assert code_of(lambda: h.document_for("CP-C001-PBMA-2025", "C002", packets))[0] == "packet_not_found"


def test_sufficiency_names_the_evidence_each_formula_would_use_and_what_is_missing(packets):
    found = {a.formula_id: a for a in h.check_sufficiency(C001, [], packets)}
    assert {f: a.status for f, a in found.items()} == {
        "awp_discount_guarantee": "final", "dispensing_fee_guarantee": "final", "rebate_guarantee": "final",
        "generic_dispensing_rate": "final", "repricing_savings": "modeled"}
    assert [p.packet_id for p in found["rebate_guarantee"].evidence] == ["CP-C001-PBMA-2025", "RB-C001-PBMA-2025"]
    other_pbm = Scope.parse("C001", "PBM_B", "2025-01-01", "2025-12-31")
    (awp,) = h.check_sufficiency(other_pbm, ["awp_discount_guarantee"], packets)
    assert (awp.status, awp.reasons, awp.evidence, awp.missing) == (
        "blocked", ("contract_evidence_missing",), (), ("contract_packet",))
    assert code_of(lambda: h.check_sufficiency(C001, ["no_such_formula"], packets))[0] == "unknown_formula"


def test_a_proposal_is_found_by_id_for_the_scopes_client_only(packets):
    assert h.find_proposal(C001, "PR-C001-PBMA-2026", packets).packet_id == "PR-C001-PBMA-2026"
    c002 = Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31")
    assert code_of(lambda: h.find_proposal(c002, "PR-C001-PBMA-2026", packets))[0] == "proposal_not_found"
    # A contract packet's id is no proposal.
    assert code_of(lambda: h.find_proposal(C001, "CP-C001-PBMA-2025", packets))[0] == "proposal_not_found"


def test_every_granted_read_answers_inside_the_grant_as_the_operator_tools_do(packets):
    mine = read_grant(Area("C001"))
    assert h.find_granted(CONTRACT, C001, exact_grant(C001), packets) == h.find_packet(CONTRACT, C001, packets)
    assert h.list_granted("C001", "", mine, packets) == h.list_packets(packets, "C001", "")
    assert h.packet_granted("CP-C001-PBMA-2025", "C001", mine, packets, 1).version == 1
    assert h.document_granted("CP-C001-PBMA-2025", "C001", mine, packets).data == PDF
    assert h.sufficiency_granted(C001, [], exact_grant(C001), packets) == h.check_sufficiency(C001, [], packets)
    assert h.proposal_granted(C001, "PR-C001-PBMA-2026", exact_grant(C001), packets).client_id == "C001"
    # A contract covers every group of its client: a grant to one group of C001 still reads it.
    assert h.packet_granted("CP-C001-PBMA-2025", "C001", read_grant(Area("C001", ("G1",))), packets).version == 2


def test_outside_the_grant_an_existing_client_or_packet_is_answered_as_one_that_does_not_exist(packets):
    theirs = read_grant(Area("C002"))
    for scope_call in (lambda: h.find_granted(CONTRACT, C001, theirs, packets),
                       lambda: h.sufficiency_granted(C001, [], theirs, packets),
                       lambda: h.proposal_granted(C001, "PR-C001-PBMA-2026", theirs, packets)):
        assert code_of(scope_call) == ("scope_not_found", "no such scope for this caller")
    assert code_of(lambda: h.list_granted("C001", "", theirs, packets))[0] == "client_not_found"
    assert code_of(lambda: h.list_granted("C001", "", theirs, packets))[1].replace("C001", "X") == \
           code_of(lambda: h.list_granted("C404", "", theirs, packets))[1].replace("C404", "X")
    for packet_call in (lambda pid, c: h.packet_granted(pid, c, theirs, packets),
                        lambda pid, c: h.document_granted(pid, c, theirs, packets)):
        assert code_of(lambda: packet_call("CP-C001-PBMA-2025", "C001"))[0] == "packet_not_found"
        assert code_of(lambda: packet_call("CP-NONE", "C001"))[0] == "packet_not_found"


def test_promotion_outside_the_grant_is_refused_before_anything_is_read_or_written():
    packets = FakePackets()
    h.sync_documents([as_file(contract_body(governance="candidate"), "c.packet.json")], packets, NOW)
    order = PromotePacket("CP-C001-PBMA-2025", "C001", "governed_exact", OPS, "signed")
    assert code_of(lambda: h.promote_granted(order, read_grant(Area("C002")), packets))[0] == "packet_not_found"
    assert [(p.version, p.governance) for p in packets.in_force()] == [(1, "candidate")]
    promoted = h.promote_granted(order, read_grant(Area("C001")), packets)
    assert (promoted.version, promoted.governance) == (2, "governed_exact") and len(packets.audit) == 2
