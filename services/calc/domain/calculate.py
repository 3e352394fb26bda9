"""The entry points of the calc domain: claims (or a store's aggregates), scope and evidence in, the section-5 result out."""
from __future__ import annotations

from kernel.errors import InputError
from kernel.packets import ContractPacket, Proposal, RebateEvidence
from kernel.scope import Scope
from kernel.sufficiency import RunFacts, readiness, reasons_for, status_of
from services.calc.domain.aggregates import ClaimsFacts, MemberMask
from services.calc.domain.claims import ClaimsBatch
from services.calc.domain.data_quality import data_quality
from services.calc.domain.facts import facts_from_batch
from services.calc.domain.formulas import awp_discount_guarantee as awp
from services.calc.domain.formulas import dispensing_fee_guarantee as fee
from services.calc.domain.formulas import generic_dispensing_rate as gdr
from services.calc.domain.formulas import rebate_guarantee as rebate
from services.calc.domain.formulas import repricing_savings as repricing
from services.calc.domain.formulas.term_guarantee import without_contract
from services.calc.domain.result import formula_entry, inputs, render, result_document
from services.calc.domain.rounding import exact_arithmetic

__all__ = ["calculate", "calculate_from_aggregates", "member_masks", "render", "check_evidence_scope"]


def check_evidence_scope(scope: Scope, contract: ContractPacket | None, rebates: RebateEvidence | None) -> None:
    """Evidence for another client or PBM never enters a run: `scope_evidence_mismatch`."""
    for kind, evidence in (("contract", contract), ("rebate evidence", rebates)):
        if evidence is not None and (evidence.client_id, evidence.pbm_id) != (scope.client_id, scope.pbm_id):
            raise InputError("scope_evidence_mismatch",
                             f"the {kind} is for {evidence.client_id}/{evidence.pbm_id}, "
                             f"the scope for {scope.client_id}/{scope.pbm_id}")


def member_masks(contract: ContractPacket | None) -> tuple[MemberMask, ...]:
    """The distinct-member counts the formulas will ask for: awp's and fee's eligibility inside a term bucket."""
    if contract is None:
        return ()
    return tuple(sorted({awp.rule(contract).member_mask, fee.rule(contract).member_mask}))


def calculate(batch: ClaimsBatch, scope: Scope, contract: ContractPacket | None,
              rebates: RebateEvidence | None = None, proposal: Proposal | None = None) -> dict:
    """Run the pipeline and every applicable formula; contract=None means no contract packet covers the scope."""
    _check(scope, contract, rebates)
    # The batch may be a store's superset of the scope's rows: the scope filter is always applied here.
    facts = facts_from_batch(batch, scope, member_masks(contract))
    return calculate_from_aggregates(facts, scope, contract, rebates, proposal)


def calculate_from_aggregates(facts: ClaimsFacts, scope: Scope, contract: ContractPacket | None,
                              rebates: RebateEvidence | None = None, proposal: Proposal | None = None) -> dict:
    """The formula math over a scope's aggregates; facts must hold the members of member_masks(contract)."""
    _check(scope, contract, rebates)
    with exact_arithmetic():
        quality = data_quality(facts, scope)
        run_facts = RunFacts(facts.netted_claims, quality["rejected_in_scope"], facts.orphan_reversals)
        formulas = []
        for formula_id, body in _formula_bodies(facts, contract, rebates, proposal):
            reasons = reasons_for(formula_id, scope, contract, rebates, run_facts)
            formulas.append(formula_entry(formula_id, status_of(reasons), reasons, body))
    run_inputs = inputs(facts.claims_sha256, _id(contract, "packet_id"), _id(rebates, "evidence_id"),
                        _id(proposal, "proposal_id"))
    return result_document(scope, run_inputs, quality, readiness({f["id"]: f["status"] for f in formulas}), formulas)


def _check(scope: Scope, contract: ContractPacket | None, rebates: RebateEvidence | None) -> None:
    # A Scope built directly skips Scope.parse; re-parsing it raises `bad_input:scope` for an invalid one.
    Scope.parse(scope.client_id, scope.pbm_id, scope.date_from, scope.date_to, scope.tpa_id, scope.group_ids)
    check_evidence_scope(scope, contract, rebates)


def _formula_bodies(facts: ClaimsFacts, contract: ContractPacket | None, rebates: RebateEvidence | None,
                    proposal: Proposal | None) -> list[tuple[str, dict]]:
    """The formulas in the documented order, each with its fields before evidence status."""
    if contract is None:
        bodies = [(awp.ID, without_contract()), (fee.ID, without_contract())]
    else:
        bodies = [(awp.ID, awp.awp_discount_guarantee(facts, contract)),
                  (fee.ID, fee.dispensing_fee_guarantee(facts, contract))]
        if rebate.rebate_rates(contract):
            bodies.append((rebate.ID, rebate.rebate_guarantee(facts, contract, rebates)))
    bodies.append((gdr.ID, gdr.generic_dispensing_rate(facts)))
    if proposal is not None:
        bodies.append((repricing.ID, repricing.repricing_savings(facts, proposal)))
    return bodies


def _id(evidence: object | None, field: str) -> str | None:
    return None if evidence is None else getattr(evidence, field)
