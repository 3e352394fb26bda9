"""Proposals as evidence of their own kind: parsed, synced from the contract tree, found by id for one client and PBM
(never another's), always "proposed" (never governed or promoted), and the evidence repricing_savings uses."""
import json
from datetime import UTC, date, datetime

import pytest

from demo import ONEDRIVE_DIR
from kernel.errors import InputError, NotFound, NotReady
from kernel.grants import Area, Grant
from kernel.packets import PROPOSED, parse_proposal, parse_proposal_file
from kernel.scope import Scope
from services.evidence.adapters.folder_source import ContractsFolder, SourceDocument
from services.evidence.bootstrap import open_packets
from services.evidence.domain.governance import PromotePacket
from services.evidence.domain.packets import PROPOSAL
from services.evidence.service_layer import handlers

C001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
NOW = datetime(2026, 1, 5, tzinfo=UTC)


def proposal_file(**changes) -> dict:
    body = {"proposal_id": "PR-C001-PBMA-2026", "client_id": "C001", "pbm_id": "PBM_A", "title": "Renewal offer",
            "effective_from": "2026-01-01", "effective_to": "2026-12-31",
            "exclusions": {"uc_claims": True, "compounds": True},
            "terms": [{"channel": "RETAIL_30", "brand_generic": "B", "awp_discount": "0.2000",
                       "dispensing_fee": "1.00", "rebate_per_claim": None}], **changes}
    return {k: v for k, v in body.items() if v is not ...}


def document(body: dict, name: str = "Clients/C001/PBM_A/proposal-2026.proposal.json") -> SourceDocument:
    return SourceDocument(name, json.dumps(body).encode())


@pytest.fixture
def packets(tmp_path):
    repository = open_packets(f"sqlite:///{tmp_path / 'evidence.sqlite'}")
    yield repository
    repository.engine.dispose()


def grant(scope: Scope) -> Grant:
    return Grant(scope, (Area(scope.client_id, scope.group_ids),), "user:ana@leaf.example", NOW, NOW, "k1")


def test_a_stored_proposal_is_the_calc_shape_plus_whose_it_is_and_the_term_it_proposes():
    stored = parse_proposal_file(proposal_file(description="deeper discounts"))
    assert (stored.client_id, stored.pbm_id, stored.title) == ("C001", "PBM_A", "Renewal offer")
    assert (stored.effective_from, stored.effective_to) == (date(2026, 1, 1), date(2026, 12, 31))
    # The calc parser ignores what the evidence service reads, so the same bytes feed both.
    assert stored.proposal == parse_proposal(proposal_file()) and stored.proposal.governance == PROPOSED
    assert parse_proposal_file(proposal_file(title=...)).title == ""


@pytest.mark.parametrize("changes, field", [
    ({"client_id": ...}, "client_id: is missing"), ({"pbm_id": ""}, "pbm_id: must be a non-empty string"),
    ({"effective_to": ...}, "effective_to: is missing"), ({"effective_to": "2025-12-31"}, "ends before"),
    ({"title": 5}, "title: must be a string"), ({"governance": "governed_exact"}, "never carries governance"),
    ({"terms": [{"channel": "RETAIL_30", "brand_generic": "B", "awp_discount": 0.2, "dispensing_fee": "1.00",
                 "rebate_per_claim": None}]}, "decimal given as a JSON string")])
def test_a_stored_proposal_that_breaks_its_shape_is_bad_input_naming_the_field(changes, field):
    with pytest.raises(InputError) as refused:
        parse_proposal_file(proposal_file(**changes))
    assert refused.value.code == "bad_input:proposal" and field in refused.value.message


def test_sync_stores_proposals_as_their_own_kind_always_proposed_and_never_overlapping(packets):
    second = proposal_file(proposal_id="PR-C001-PBMA-2026-B", title="Alternative with a mail carve-in")
    report = handlers.sync_documents([document(proposal_file()),
                                      document(second, "Clients/C001/PBM_A/proposal-2026-b.proposal.json"),
                                      document(proposal_file(proposal_id="PR-BAD", governance="governed_exact"),
                                               "Clients/C001/PBM_A/bad.proposal.json")], packets, NOW)
    # Two proposals for one term are alternatives, not a clash; a governed "proposal" is refused, never stored.
    assert report.added == ["PR-C001-PBMA-2026@1", "PR-C001-PBMA-2026-B@1"]
    assert report.refused == [("Clients/C001/PBM_A/bad.proposal.json",
                               "proposal.governance: a proposal never carries governance")]
    stored = packets.in_force(PROPOSAL, "C001")
    assert {(p.kind, p.governance, p.pbm_id, p.effective_from.year) for p in stored} == {(PROPOSAL, PROPOSED, "PBM_A", 2026)}
    assert stored[0].body_json == json.dumps(proposal_file()).encode()  # the file's bytes: its sha256 is the file's
    assert handlers.sync_documents([document(proposal_file())], packets, NOW).unchanged == 1


def test_the_demo_tree_ships_proposals_for_two_clients_and_they_sync(packets):
    report = handlers.sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), packets, NOW)
    assert not report.refused
    proposals = packets.in_force(PROPOSAL)
    assert {(p.packet_id, p.client_id, p.pbm_id) for p in proposals} >= {
        ("PR-C001-PBMA-2026", "C001", "PBM_A"), ("PR-C002-PBMC-2026", "C002", "PBM_C")}
    # Listed with the client's other packets (ListPackets and GET /v1/evidence/packets read this).
    assert "PR-C001-PBMA-2026" in {p.packet_id for p in handlers.list_packets(packets, "C001", "PBM_A")}


def test_a_proposal_is_found_by_id_only_for_the_scopes_client_and_pbm(packets):
    handlers.sync_documents([document(proposal_file()),
                             document(proposal_file(proposal_id="PR-C002", client_id="C002", pbm_id="PBM_C"),
                                      "Clients/C002/PBM_C/p.proposal.json")], packets, NOW)
    assert handlers.find_proposal(C001, "PR-C001-PBMA-2026", packets).packet_id == "PR-C001-PBMA-2026"
    # Another client's proposal is as absent as one that does not exist; a contract packet id is no proposal.
    for missing in ("PR-C002", "PR-NONE"):
        with pytest.raises(NotFound) as absent:
            handlers.find_proposal(C001, missing, packets)
        assert absent.value.code == "proposal_not_found"
    other_pbm = Scope.parse("C001", "PBM_B", "2025-01-01", "2025-12-31")
    with pytest.raises(InputError) as mismatch:
        handlers.find_proposal(other_pbm, "PR-C001-PBMA-2026", packets)
    assert mismatch.value.code == "scope_evidence_mismatch" and "C001/PBM_A" in mismatch.value.message


def test_the_grant_not_the_proposal_id_decides_whose_proposal_is_read(packets):
    handlers.sync_documents([document(proposal_file())], packets, NOW)
    c002 = Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31")
    assert handlers.proposal_granted(C001, "PR-C001-PBMA-2026", grant(C001), packets).client_id == "C001"
    with pytest.raises(NotFound) as refused:  # a scope the grant does not cover: the scope service's own answer
        handlers.proposal_granted(C001, "PR-C001-PBMA-2026", grant(c002), packets)
    assert refused.value.code == "scope_not_found"
    with pytest.raises(NotFound) as absent:  # C002's grant, C002's scope: C001's proposal is not there
        handlers.proposal_granted(c002, "PR-C001-PBMA-2026", grant(c002), packets)
    assert absent.value.code == "proposal_not_found"


def test_sufficiency_names_the_proposal_as_repricings_evidence_and_keeps_it_modeled(packets):
    handlers.sync_documents(ContractsFolder(ONEDRIVE_DIR).documents(), packets, NOW)
    plain = {a.formula_id: a for a in handlers.check_sufficiency(C001, [], packets)}
    repriced = {a.formula_id: a for a in handlers.check_sufficiency(C001, [], packets, "PR-C001-PBMA-2026")}
    assert [p.packet_id for p in repriced["repricing_savings"].evidence] == ["PR-C001-PBMA-2026"]
    assert (repriced["repricing_savings"].status, repriced["repricing_savings"].reasons) == ("modeled",
                                                                                            ("proposal_is_modeled",))
    assert plain["repricing_savings"].evidence == ()
    # The audit's formulas are not touched by naming a proposal.
    assert {f: (a.status, a.reasons) for f, a in repriced.items() if f != "repricing_savings"} == \
           {f: (a.status, a.reasons) for f, a in plain.items() if f != "repricing_savings"}
    with pytest.raises(NotFound):
        handlers.check_sufficiency(C001, [], packets, "PR-C002-PBMC-2026")


def test_a_proposal_is_never_promoted(packets):
    handlers.sync_documents([document(proposal_file())], packets, NOW)
    order = PromotePacket("PR-C001-PBMA-2026", "C001", "governed_exact", "local:ops", "it was signed")
    with pytest.raises(NotReady) as refused:
        handlers.promote_packet(order, packets, NOW)
    assert refused.value.code == "not_a_candidate" and "proposed" in refused.value.message
