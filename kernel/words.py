"""The registry's words for people: formula titles, reason sentences, exclusion and offset rules in plain English.

Codes (`rebate_evidence_missing`, `no_term`) are the contract between machines; a CFO reads these words. The calc
registry serves both side by side, and every deliverable (PDF, workbook, dashboard, narrative) takes its words
from here, so one change of wording reaches them all.
"""
from __future__ import annotations

from kernel.sufficiency import AWP, FEE, GDR, REBATE, REPRICING

FORMULA_TITLES = {AWP: "AWP discount guarantee", FEE: "Dispensing fee guarantee", REBATE: "Rebate guarantee",
                  GDR: "Generic dispensing rate", REPRICING: "Repricing savings (proposal)"}
# The one word a status line uses for a formula: "3 of 4 final; rebate blocked: …".
FORMULA_SHORT = {AWP: "AWP discount", FEE: "dispensing fee", REBATE: "rebate", GDR: "generic dispensing rate",
                 REPRICING: "repricing"}
STATUS_WORDS = {"final": "final", "modeled": "modeled", "blocked": "blocked"}

# Why a formula is modeled or blocked, as a sentence a CFO can act on (calculations.md 4).
REASON_SENTENCES = {
    "no_claims_in_scope": "no claims remain in the scope after reversals",
    "contract_evidence_missing": "no contract covers the audit period",
    "contract_period_gap": "the contract does not cover the whole audit period",
    "candidate_contract_evidence": "the contract terms are a candidate, not the executed contract",
    "partial_contract_scope": "the audit covers part of the contract, which settles over its whole term",
    "rebate_evidence_missing": "no rebate evidence for the audit period",
    "rebate_evidence_period_mismatch": "the rebate evidence covers a different period than the audit",
    "rebate_scope_partial": "rebates are reported for the whole client, but the audit covers only part of it",
    "rebate_evidence_not_exact": "the rebate evidence is not the PBM's governed statement",
    "data_quality_rejects": "some claims in the scope were rejected as malformed",
    "orphan_reversals": "some reversals match no paid claim in the scope",
    "proposal_is_modeled": "a proposal is a projection, never evidence",
}

# Why a claim is left out of a formula (calculations.md 2, step 4).
EXCLUSION_SENTENCES = {
    "uc": "priced at the pharmacy's usual-and-customary price, which the contract excludes",
    "compound": "compounded drugs, which the contract excludes",
    "zero_awp": "no AWP price, so no discount can be measured",
    "no_term": "no contract guarantee for the claim's channel and drug type",
}

# How bucket variances net before a shortfall is owed (calculations.md 3), one sentence per offset rule.
OFFSET_RULES = {
    "none": "No offsetting: each channel and drug type stands alone; a surplus in one never reduces what another owes.",
    "within_channel": "Offset within channel: brand and generic of one channel net against each other; "
                      "channels never offset each other.",
    "within_drug_type": "Offset within drug type: all brand buckets net together and all generic buckets net "
                        "together; brand never offsets generic.",
    "all": "Full offset: every bucket nets against every other before anything is owed.",
}
REBATE_OFFSET_RULE = ("Rebates offset across channels: the shortfall is the total variance less rebates received "
                      "in channels the contract does not guarantee.")
FLOOR_RULE = "A group that nets to a surplus owes nothing: surpluses are never paid back to the PBM."
SIGN_CONVENTION = "Sign convention: a positive variance is owed to the plan; a negative one is a surplus."

SUSPECT_CHANNEL = ("Retail 30-day claims with 84 or more days' supply: billed as retail 30-day but shaped like 90-day "
                   "or mail fills. They are counted as written and listed for review; no figure is changed.")
PROJECTION = ("PROJECTION — what the proposal's terms would have cost over the same claims; it is never evidence "
              "and changes neither readiness nor what is owed.")
UNGUARANTEED_BUCKET = ("Claims in a channel and drug type the contract gives no guarantee for: no shortfall can be "
                       "measured on them, so they are an audit finding.")
UNGUARANTEED_REBATE = ("Brand claims in a channel the contract gives no rebate guarantee for: no rebate is owed on "
                       "them, and rebates received in that channel offset the rebate shortfall (received_other).")

# A bucket's channel and drug type as people say them ("Retail 30-day brand"), and the netting groups built of them.
CHANNEL_TITLES = {"RETAIL_30": "Retail 30-day", "RETAIL_90": "Retail 90-day", "MAIL": "Mail order",
                  "SPECIALTY": "Specialty"}
DRUG_TYPE_TITLES = {"B": "brand", "G": "generic"}


def bucket_title(channel: str, brand_generic: str) -> str:
    return f"{CHANNEL_TITLES.get(channel, channel)} {DRUG_TYPE_TITLES.get(brand_generic, brand_generic)}"


def offset_group_title(group: str) -> str:
    """An `offset_groups` entry's group as words: "MAIL/B" → "Mail order brand", "B" → "Brand, all channels"."""
    if group == "all":
        return "All channels and drug types"
    if group in DRUG_TYPE_TITLES:
        return f"{DRUG_TYPE_TITLES[group].capitalize()}, all channels"
    channel, _, brand_generic = group.partition("/")
    return bucket_title(channel, brand_generic) if brand_generic else CHANNEL_TITLES.get(channel, channel)


def reason_sentence(code: str) -> str:
    return REASON_SENTENCES.get(code, code)


def formula_title(formula_id: str) -> str:
    return FORMULA_TITLES.get(formula_id, formula_id)
