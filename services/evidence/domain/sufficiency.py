"""Which evidence each formula would use for a scope, and what state that evidence allows (calculations.md 4)."""
from __future__ import annotations

import json
from dataclasses import dataclass

from kernel.errors import InputError
from kernel.packets import parse_contract, parse_rebates
from kernel.scope import Scope
from kernel.sufficiency import EVERY, GUARANTEES, REBATE, REPRICING, reasons_for, status_of
from services.evidence.domain.packets import StoredPacket

# What would lift each reason: the evidence a reader should go and find.
MISSING = {
    "contract_evidence_missing": "contract_packet",
    "contract_period_gap": "contract_packet_covering_the_window",
    "candidate_contract_evidence": "governed_contract_packet",
    "rebate_evidence_missing": "rebate_evidence",
    "rebate_evidence_period_mismatch": "rebate_evidence_for_the_window",
    "rebate_evidence_not_exact": "governed_exact_rebate_evidence",
}


@dataclass(frozen=True)
class FormulaSufficiency:
    formula_id: str
    status: str
    reasons: tuple[str, ...]
    evidence: tuple[StoredPacket, ...]
    missing: tuple[str, ...]


def sufficiency(scope: Scope, formula_ids: list[str], contract: StoredPacket | None,
                rebates: StoredPacket | None, proposal: StoredPacket | None = None) -> list[FormulaSufficiency]:
    """Evidence-side reasons per formula (the claims-side ones need the claims: the calc service adds them).
    A proposal, when one is named, is the evidence repricing_savings uses (always modeled: proposal_is_modeled)."""
    unknown = sorted(set(formula_ids) - set(EVERY))
    if unknown:
        raise InputError("unknown_formula", f"no formula {', '.join(unknown)} in the registry")
    terms = parse_contract(json.loads(contract.body_json)) if contract else None
    received = parse_rebates(json.loads(rebates.body_json)) if rebates else None
    answers = []
    for formula_id in formula_ids or EVERY:
        reasons = reasons_for(formula_id, scope, terms, received, None)
        used: tuple[StoredPacket | None, ...] = (contract,) if formula_id in GUARANTEES else ()
        used += (rebates,) if formula_id == REBATE else ()
        used += (proposal,) if formula_id == REPRICING else ()
        answers.append(FormulaSufficiency(formula_id, status_of(reasons), tuple(reasons),
                                          tuple(p for p in used if p is not None),
                                          tuple(sorted({MISSING[r] for r in reasons if r in MISSING}))))
    return answers
