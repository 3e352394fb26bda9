"""Each netted claim's standing in each formula: counted, excluded (and why), or not looked at.

The formulas apply their ExclusionRule to whole claim classes; this applies the very same rules (built by the
formulas' own `rule` functions) to one claim at a time, so the extract can carry every claim's reason per formula
and anyone can re-derive each bucket of the result from the claim rows (kernel/claim_reasons.py has the cells).
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kernel.claim_reasons import ELIGIBLE, NOT_APPLICABLE
from kernel.packets import ContractPacket, Proposal
from services.calc.domain.aggregates import Traits
from services.calc.domain.claim_lines import ClaimLine
from services.calc.domain.eligibility import ExclusionRule
from services.calc.domain.facts import traits_key
from services.calc.domain.formulas import awp_discount_guarantee as awp
from services.calc.domain.formulas import dispensing_fee_guarantee as fee
from services.calc.domain.formulas import rebate_guarantee as rebate
from services.calc.domain.formulas import repricing_savings as repricing

# The formulas with exclusions, in the result's order: the extract's columns `<name>_excluded` follow it.
JUDGED_FORMULAS = (awp.ID, fee.ID, rebate.ID, repricing.ID)
ClaimReasons = tuple[str, str, str, str]   # one cell per JUDGED_FORMULAS entry


@dataclass(frozen=True)
class ClaimEligibility:
    """The exclusion rule of each judged formula the run has; None where the run lacks the formula."""

    awp_discount: ExclusionRule | None = None
    dispensing_fee: ExclusionRule | None = None
    rebate: ExclusionRule | None = None
    repricing: ExclusionRule | None = None
    # Reasons depend on a claim's class only (its bucket and three traits): each class is judged once, and a
    # million-claim stream pays a tuple and a dict lookup per claim.
    _judged: dict[tuple, ClaimReasons] = field(default_factory=dict, compare=False, repr=False)

    def reasons(self, line: ClaimLine) -> ClaimReasons:
        key = traits_key(line)
        known = self._judged.get(key)
        if known is None:
            known = self._judged[key] = self._judge(Traits(*key))
        return known

    def _judge(self, traits: Traits) -> ClaimReasons:
        return (_cell(self.awp_discount, traits), _cell(self.dispensing_fee, traits),
                _cell(self.rebate, traits) if rebate.looks_at(traits) else NOT_APPLICABLE,
                _cell(self.repricing, traits))


def _cell(rule: ExclusionRule | None, traits: Traits) -> str:
    if rule is None:
        return NOT_APPLICABLE
    return rule.reason(traits) or ELIGIBLE


def claim_eligibility(contract: ContractPacket | None, proposal: Proposal | None) -> ClaimEligibility:
    """The rules the run's formulas applied: the contract's (awp, fee, and rebate when it has rebate terms) and the
    proposal's (repricing); a formula the run does not have judges no claim."""
    if contract is None:
        return ClaimEligibility(repricing=_proposal_rule(proposal))
    return ClaimEligibility(awp.rule(contract), fee.rule(contract),
                            rebate.rule(contract) if rebate.rebate_rates(contract) else None, _proposal_rule(proposal))


def _proposal_rule(proposal: Proposal | None) -> ExclusionRule | None:
    return None if proposal is None else repricing.rule(proposal)


def judged(lines: Iterable[ClaimLine], eligibility: ClaimEligibility) -> Iterator[tuple[ClaimLine, ClaimReasons]]:
    """Each line with its reasons, in the order given (the run's row order)."""
    for line in lines:
        yield line, eligibility.reasons(line)
