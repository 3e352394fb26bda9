"""The calc service's run use cases with a proposal, on fakes of its ports: the proposal is evidence of the run (its id,
lineage and input hashes), repricing_savings is computed on it, and readiness stays the audit's."""
import hashlib
import json
from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, NotFound
from kernel.grants import Area, Grant
from kernel.scope import Scope
from services.calc.domain.calculate import member_masks
from services.calc.domain.facts import facts_from_batch
from services.calc.service_layer.ports import Evidence, ScopeEvidence, Snapshot
from services.calc.service_layer.runs import CalcDeps, CreateRun, create_run, plan_run, result_of
from tests.unit.calc.builders import batch, contract, contract_json, proposal, proposal_json, row, scope, term

NOW = datetime(2026, 1, 5, tzinfo=UTC)
CLAIMS = [row("C1"), row("C2", brand_generic="G", awp_unit_price="50.00", ingredient_cost_paid="9.00"),
          row("C3", channel="MAIL", ingredient_cost_paid="230.00")]


def sha(document: dict) -> str:
    return hashlib.sha256(json.dumps(document).encode()).hexdigest()


def evidence(value, document: dict, packet_id: str, kind: str, governance: str, owner=("C001", "PBM_A")) -> Evidence:
    return Evidence(value, packet_id, 1, sha(document), governance, kind, *owner)


class FakeEvidence:
    """The evidence service's answer: the contract covering the scope, and the proposal asked for by id."""

    def __init__(self, proposals: dict[str, Evidence]) -> None:
        terms = [term("RETAIL_30", "B", "0.1950", "1.00"), term("RETAIL_30", "G", "0.8000", "1.00"),
                 term("MAIL", "B", "0.2200", "0.00")]
        document = contract_json(terms=terms)
        self.contract = evidence(contract(terms=terms), document, "CP-C001-PBMA-2025", "contract_packet",
                                 "governed_exact")
        self.proposals = proposals
        self.asked: list[str] = []

    async def for_scope(self, scope: Scope, proposal_id: str = "") -> ScopeEvidence:
        self.asked.append(proposal_id)
        return ScopeEvidence(self.contract, None, self.proposals.get(proposal_id))


class FakeClaims:
    kind = "embedded"

    def __init__(self, rows) -> None:
        self.batch = batch(rows)
        self.snap = Snapshot("snap_1", self.batch.sha256, self.batch.rows_read, self.batch.valid_count, 0, "now")

    def snapshot(self) -> Snapshot:
        return self.snap

    def aggregates_for(self, scope, contract, proposal=None):
        return self.snap, facts_from_batch(self.batch, scope, member_masks(contract))


class FakeRuns:
    def __init__(self) -> None:
        self.stored: dict = {}

    def add(self, record):
        return self.stored.setdefault(record.run_id, record)

    def get(self, run_id):
        return self.stored.get(run_id)


OFFER = proposal_json(proposal_id="PR-C001-PBMA-2026",
                      terms=[term("RETAIL_30", "B", "0.2100", "0.50"), term("RETAIL_30", "G", "0.8500", "0.50")])


def deps(**proposals: Evidence) -> CalcDeps:
    return CalcDeps(FakeClaims(CLAIMS), FakeEvidence(proposals), FakeRuns(), clock=lambda: NOW)


def offered(owner=("C001", "PBM_A")) -> Evidence:
    return evidence(proposal(**OFFER), OFFER, "PR-C001-PBMA-2026", "proposal", "proposed", owner)


def granted(run_scope: Scope) -> Grant:
    return Grant(run_scope, (Area(run_scope.client_id),), "user:ana@leaf.example", NOW, NOW, "k1")


async def test_a_run_with_a_proposal_is_another_run_with_repricing_and_the_proposal_in_its_lineage():
    calc = deps(**{"PR-C001-PBMA-2026": offered()})
    plain = await create_run(CreateRun(scope()), granted(scope()), calc)
    order = CreateRun(scope(), proposal_id="PR-C001-PBMA-2026")
    planned = await plan_run(order, granted(scope()), calc)
    repriced = await create_run(order, granted(scope()), calc)

    assert repriced.run_id != plain.run_id and planned.run_id == repriced.run_id and not planned.computed
    result, without = result_of(repriced), result_of(plain)
    assert [f["id"] for f in result["formulas"]] == [f["id"] for f in without["formulas"]] + ["repricing_savings"]
    repricing = result["formulas"][-1]
    assert repricing["status"] == "modeled" and repricing["reasons"] == ["proposal_is_modeled"]
    assert [(b["channel"], b["brand_generic"], b["claims"]) for b in repricing["buckets"]] == [
        ("RETAIL_30", "B", 1), ("RETAIL_30", "G", 1)]
    assert repricing["unpriced_buckets"] == [{"channel": "MAIL", "brand_generic": "B"}]
    assert result["inputs"]["proposal_id"] == "PR-C001-PBMA-2026" and without["inputs"]["proposal_id"] is None
    # Readiness is the audit's: a proposal, modeled by nature, never lowers a final audit.
    assert result["readiness"] == without["readiness"] == repriced.readiness == "final"
    assert {f["id"]: f["status"] for f in result["formulas"][:-1]} == {f["id"]: f["status"] for f in without["formulas"]}

    lineage = repriced.lineage
    assert lineage["evidence"][-1] == {"evidence_id": "PR-C001-PBMA-2026", "kind": "proposal", "governance": "proposed",
                                       "sha256": sha(OFFER), "version": 1}
    assert lineage["input_hashes"]["proposal_sha256"] == sha(OFFER) and "proposal_sha256" not in plain.lineage["input_hashes"]
    assert {"formula_id": "repricing_savings", "version": 1} in lineage["formulas"]
    assert calc.evidence.asked == ["", "PR-C001-PBMA-2026", "PR-C001-PBMA-2026"]


async def test_a_proposal_the_evidence_service_does_not_give_is_never_replaced_by_no_proposal():
    calc = deps()
    for use_case in (plan_run, create_run):
        with pytest.raises(NotFound) as absent:
            await use_case(CreateRun(scope(), proposal_id="PR-C001-PBMA-2026"), granted(scope()), calc)
        assert absent.value.code == "proposal_not_found"
    assert not calc.runs.stored


async def test_calc_checks_the_proposals_owner_itself_and_the_grant_before_anything():
    # Dual enforcement: even were the evidence service to answer with another PBM's proposal, calc refuses it.
    calc = deps(**{"PR-C001-PBMA-2026": offered(owner=("C001", "PBM_B"))})
    with pytest.raises(InputError) as mismatch:
        await create_run(CreateRun(scope(), proposal_id="PR-C001-PBMA-2026"), granted(scope()), calc)
    assert mismatch.value.code == "scope_evidence_mismatch"
    other = Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31")
    with pytest.raises(NotFound) as refused:
        await create_run(CreateRun(scope(), proposal_id="PR-C001-PBMA-2026"), granted(other), calc)
    # Refused before evidence is asked: only the first call reached it.
    assert refused.value.code == "scope_not_found" and calc.evidence.asked == ["PR-C001-PBMA-2026"]
