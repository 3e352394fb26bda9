"""Calculation registry v1 as data: every formula's definition and the decisions where calculations.md is silent."""
from __future__ import annotations

import copy
from typing import Any

from kernel import words
from kernel.sufficiency import EVIDENCE_RULES
from services.calc.domain.eligibility import EXCLUSION_REASONS
from services.calc.domain.formulas import awp_discount_guarantee as awp
from services.calc.domain.formulas import dispensing_fee_guarantee as fee
from services.calc.domain.formulas import generic_dispensing_rate as gdr
from services.calc.domain.formulas import rebate_guarantee as rebate
from services.calc.domain.formulas import repricing_savings as repricing

REGISTRY_VERSION = "1"
ROUNDING = "round half up (away from zero) applied to the exact value; quotients rounded from the exact fraction"

_FORMULAS: tuple[dict[str, Any], ...] = (
    {"module": awp, "description": "AWP-weighted discount per contract term bucket against the guaranteed discount "
                                   "(a floor); shortfall by the contract's offset",
     "inputs": ["netted claims", "contract terms, exclusions and offset"],
     "exclusions": ["uc", "compound", "zero_awp", "no_term"],
     "bucket_fields": ["channel", "brand_generic", "claims", "members", "awp", "ingredient_cost", "actual_discount",
                       "guaranteed_discount", "guaranteed_cost", "variance"],
     "summary_fields": ["offset", "offset_groups", "shortfall"],
     "rounding": {"awp_ext": "round2(awp_unit_price × quantity) per eligible claim",
                  "actual_discount": "round4(1 − ingredient_cost / awp); null when awp = 0",
                  "guaranteed_cost": "round2(awp × (1 − guaranteed_discount))"}},
    {"module": fee, "description": "dispensing fees paid per contract term bucket against the guaranteed fee "
                                   "(a ceiling); shortfall by the contract's offset",
     "inputs": ["netted claims", "contract terms, exclusions and offset"],
     "exclusions": ["uc", "compound", "no_term"],
     "bucket_fields": ["channel", "brand_generic", "claims", "members", "fees", "dispensing_fee", "guaranteed_fees",
                       "variance"],
     "summary_fields": ["offset", "offset_groups", "shortfall"],
     "rounding": {"guaranteed_fees": "round2(claims × dispensing_fee)"}},
    {"module": rebate, "description": "guaranteed brand rebates per channel against rebates received; rebates "
                                      "always offset across channels; present only with a brand rebate term",
     "inputs": ["netted brand claims", "contract brand terms with rebate_per_claim", "rebate evidence"],
     "exclusions": ["compound", "no_term"],
     "bucket_fields": ["channel", "brand_generic", "brand_claims", "rebate_per_claim", "guaranteed", "received",
                       "variance"],
     "summary_fields": ["variance_total", "received_other", "shortfall"],
     "rounding": {"guaranteed": "round2(brand_claims × rebate_per_claim)"}},
    {"module": gdr, "description": "share of netted claims that are generic; no exclusions",
     "inputs": ["netted claims"], "exclusions": [], "bucket_fields": [],
     "summary_fields": ["claims", "generic_claims", "gdr"],
     "rounding": {"gdr": "round4(generic_claims / claims); null when there are no claims"}},
    {"module": repricing, "description": "current cost of the netted claims against a proposal's terms; "
                                         "only with a proposal, always modeled",
     "inputs": ["netted claims", "proposal terms and exclusions"],
     "exclusions": ["uc", "compound", "zero_awp"],
     "bucket_fields": ["channel", "brand_generic", "claims", "current_cost", "proposed_cost", "savings"],
     "summary_fields": ["total_savings", "unpriced_buckets"],
     "rounding": {"proposed_cost": "round2(Σ awp_ext × (1 − awp_discount)) + round2(claims × dispensing_fee)"}},
)

# Where calculations.md is silent: what a pharmacy-benefit auditor expects, tested in tests/unit/calc.
DECISIONS = (
    "contract_missing: with no contract packet, awp_discount_guarantee and dispensing_fee_guarantee are blocked "
    "with contract_evidence_missing, no buckets, excluded all zeros and null offset, offset_groups and shortfall; "
    "rebate_guarantee is absent (no rebate terms); inputs.contract_packet_id is null; generic_dispensing_rate is still computed",
    "empty_term_bucket: every contract term bucket gets a row even with no eligible claim (claims 0, members 0, "
    "awp and ingredient_cost 0.00, actual_discount null), so the auditor sees each guarantee was checked",
    "reversal_match: a REVERSAL nets an in-scope PAID claim of that claim_id wherever it stands in the file; "
    "row order only decides which of several reversals of one claim nets (the rest are orphans)",
    "members: distinct member_id values exactly as written; an empty member_id counts as one value",
    "rejects_by_reason: keys in sorted reason order; rejected_rows in row order; both cover the whole input",
    "rebate_scope_partial: applies whenever the scope is partial, with or without rebate evidence",
    "claims_file: an empty file (no header row), a required column named twice, undecodable UTF-8 or broken "
    "RFC 4180 quoting anywhere is bad_input:claims; lines with no characters are skipped (not records)",
    "integers and decimals: ASCII digits only; an integer has no point; a decimal needs a digit before its "
    "optional point; places count as written (1.50 has two)",
    "evidence_json: unknown keys are ignored (a proposal's governance key is refused); rebate_per_claim must be "
    "present in every term (null allowed); a contract may list no terms",
    "money_format: money with exactly 2 places, ratios with 4; zero is never signed",
)


def formula_versions() -> dict[str, int]:
    return {f["module"].ID: f["module"].VERSION for f in _FORMULAS}


def nulled_when_blocked(formula_id: str) -> tuple[str, ...]:
    return next(f["module"].NULLED_WHEN_BLOCKED for f in _FORMULAS if f["module"].ID == formula_id)


def registry() -> dict:
    """The machine-readable registry served over gRPC and HTTP (a fresh copy each call)."""
    formulas = [{"id": f["module"].ID, "version": f["module"].VERSION, "title": words.formula_title(f["module"].ID),
                 **{k: copy.deepcopy(v) for k, v in f.items() if k != "module"},
                 "excluded_keys": list(EXCLUSION_REASONS) if f["exclusions"] else [],
                 "evidence_reasons": [r for r, _, applies, _ in EVIDENCE_RULES if f["module"].ID in applies],
                 "nulled_when_blocked": list(f["module"].NULLED_WHEN_BLOCKED), "rounding_rule": ROUNDING}
                for f in _FORMULAS]
    rules = [{"reason": r, "effect": e, "applies_to": list(a), "when": w, "sentence": words.reason_sentence(r)}
             for r, e, a, w in EVIDENCE_RULES]
    # The words every deliverable shows beside the codes (kernel/words.py): one source for people and machines.
    people = {"exclusions": dict(words.EXCLUSION_SENTENCES), "offset_rules": dict(words.OFFSET_RULES),
              "rebate_offset_rule": words.REBATE_OFFSET_RULE, "floor_rule": words.FLOOR_RULE,
              "sign_convention": words.SIGN_CONVENTION, "suspect_channel": words.SUSPECT_CHANNEL,
              "unguaranteed_bucket": words.UNGUARANTEED_BUCKET}
    return {"registry_version": REGISTRY_VERSION, "formulas": formulas, "evidence_rules": rules, "words": people,
            "decisions": list(DECISIONS)}
