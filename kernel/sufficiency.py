"""Evidence sufficiency of calculations.md 4, shared by calc (runs) and evidence (CheckSufficiency):
reasons, status, readiness."""
from __future__ import annotations

from dataclasses import dataclass

from kernel.packets import ContractPacket, RebateEvidence
from kernel.scope import Scope

RULES_VERSION = 1  # these are the sufficiency rules of calculation registry v1; every v1 formula is version 1
AWP, FEE, REBATE = "awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee"
GDR, REPRICING = "generic_dispensing_rate", "repricing_savings"
EVERY = (AWP, FEE, REBATE, GDR, REPRICING)
GUARANTEES = (AWP, FEE, REBATE)

BLOCKED, MODELED, FINAL = "blocked", "modeled", "final"
_SEVERITY = {FINAL: 0, MODELED: 1, BLOCKED: 2}

# (reason, effect, formulas it applies to, when) — the table of section 4, plus contract_evidence_missing.
EVIDENCE_RULES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("no_claims_in_scope", BLOCKED, EVERY, "no netted claims at all"),
    ("contract_evidence_missing", BLOCKED, (AWP, FEE),
     "no contract packet covers the scope; a missing contract is never silently substituted, so there is "
     "no guarantee to compare against (and no rebate terms, so rebate_guarantee is absent)"),
    ("contract_period_gap", BLOCKED, GUARANTEES, "the contract's effective window does not cover the scope window"),
    ("candidate_contract_evidence", MODELED, GUARANTEES, "the contract's governance is candidate"),
    ("partial_contract_scope", MODELED, GUARANTEES,
     "only without a contract_period_gap: the scope window starts after or ends before the contract's window, "
     "or the scope is partial; guarantees settle over the whole contract"),
    ("rebate_evidence_missing", BLOCKED, (REBATE,), "no rebate evidence"),
    ("rebate_evidence_period_mismatch", BLOCKED, (REBATE,), "the evidence period is not exactly the scope window"),
    ("rebate_scope_partial", BLOCKED, (REBATE,), "the scope is partial, but rebates received are client-wide"),
    ("rebate_evidence_not_exact", MODELED, (REBATE,), "rebate governance is governed_lineage or candidate"),
    ("data_quality_rejects", MODELED, EVERY, "rejected_in_scope > 0"),
    ("orphan_reversals", MODELED, EVERY, "orphan_reversals > 0"),
    ("proposal_is_modeled", MODELED, (REPRICING,), "always: a proposal is a model, never evidence"),
)
EFFECT = {reason: effect for reason, effect, _, _ in EVIDENCE_RULES}


@dataclass(frozen=True, slots=True)
class RunFacts:
    """What the claims showed for the scope, as far as sufficiency cares."""

    netted_claims: int
    rejected_in_scope: int
    orphan_reversals: int


def reasons_for(formula_id: str, scope: Scope, contract: ContractPacket | None,
                rebates: RebateEvidence | None, facts: RunFacts | None) -> list[str]:
    """Every reason that applies to the formula, sorted; without claims facts, only the evidence's reasons."""
    found = set(_claims_reasons(facts)) if facts is not None else set()
    if formula_id in GUARANTEES:
        found |= _contract_reasons(scope, contract)
    if formula_id == REBATE:
        found |= _rebate_reasons(scope, rebates)
    if formula_id == REPRICING:
        found.add("proposal_is_modeled")
    return sorted(found)


def status_of(reasons: list[str]) -> str:
    """The worst effect among the reasons; no reason is final."""
    return max((EFFECT[r] for r in reasons), key=_SEVERITY.__getitem__, default=FINAL)


def readiness(statuses: dict[str, str]) -> str:
    """The audit's readiness from each formula's status: repricing is a projection, modeled by nature, and never
    lowers it."""
    audit = [status for formula_id, status in statuses.items() if formula_id != REPRICING]
    if BLOCKED in audit:
        return BLOCKED
    return FINAL if all(s == FINAL for s in audit) else MODELED


def _claims_reasons(facts: RunFacts) -> set[str]:
    found = set()
    if not facts.netted_claims:
        found.add("no_claims_in_scope")
    if facts.rejected_in_scope:
        found.add("data_quality_rejects")
    if facts.orphan_reversals:
        found.add("orphan_reversals")
    return found


def _contract_reasons(scope: Scope, contract: ContractPacket | None) -> set[str]:
    if contract is None:
        return {"contract_evidence_missing"}
    found = set()
    if contract.governance == "candidate":
        found.add("candidate_contract_evidence")
    if contract.effective_from > scope.date_from or contract.effective_to < scope.date_to:
        found.add("contract_period_gap")
    elif scope.date_from > contract.effective_from or scope.date_to < contract.effective_to or scope.is_partial:
        found.add("partial_contract_scope")
    return found


def _rebate_reasons(scope: Scope, rebates: RebateEvidence | None) -> set[str]:
    if rebates is None:
        found = {"rebate_evidence_missing"}
    else:
        found = set()
        if (rebates.period_from, rebates.period_to) != (scope.date_from, scope.date_to):
            found.add("rebate_evidence_period_mismatch")
        if rebates.governance != "governed_exact":
            found.add("rebate_evidence_not_exact")
    if scope.is_partial:
        found.add("rebate_scope_partial")
    return found
