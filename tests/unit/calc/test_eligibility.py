"""Pipeline step 4: each formula's exclusion reasons, first match wins in the order uc, compound, zero_awp, no_term."""
import pytest

from .builders import contract, formula, proposal, rebates, row, run, term

AWP, FEE, REBATE, REPRICING = "awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee", \
    "repricing_savings"
ZERO = {"uc": 0, "compound": 0, "zero_awp": 0, "no_term": 0}


def excluded(rows, packet=None, proposal_packet=None):
    result = run(rows, packet or contract(), rebates(), proposal_packet or proposal())
    return {f["id"]: f["excluded"] for f in result["formulas"] if "excluded" in f}


@pytest.mark.parametrize(("changes", "expected"), [
    ({"basis_of_cost": "UC"}, {AWP: "uc", FEE: "uc", REBATE: None, REPRICING: "uc"}),
    ({"compound": "Y"}, {AWP: "compound", FEE: "compound", REBATE: "compound", REPRICING: "compound"}),
    ({"awp_unit_price": "0.00"}, {AWP: "zero_awp", FEE: None, REBATE: None, REPRICING: "zero_awp"}),
    ({"channel": "MAIL"}, {AWP: "no_term", FEE: "no_term", REBATE: "no_term", REPRICING: None}),
    ({"basis_of_cost": "UC", "compound": "Y", "awp_unit_price": "0", "channel": "MAIL"},
     {AWP: "uc", FEE: "uc", REBATE: "compound", REPRICING: "uc"}),
    ({"compound": "Y", "awp_unit_price": "0", "channel": "MAIL"},
     {AWP: "compound", FEE: "compound", REBATE: "compound", REPRICING: "compound"}),
    ({"awp_unit_price": "0", "channel": "MAIL"},
     {AWP: "zero_awp", FEE: "no_term", REBATE: "no_term", REPRICING: "zero_awp"}),
])
def test_each_formula_applies_only_its_reasons_first_match_wins(changes, expected):
    got = excluded([row("C1", **changes)])
    for formula_id, reason in expected.items():
        assert got[formula_id] == (ZERO if reason is None else {**ZERO, reason: 1}), formula_id


def test_uc_and_compound_exclusions_follow_the_contract_flags():
    packet = contract(exclusions={"uc_claims": False, "compounds": False})
    got = excluded([row("C1", basis_of_cost="UC"), row("C2", compound="Y")], packet)
    assert got[AWP] == got[FEE] == got[REBATE] == ZERO


def test_repricing_takes_its_exclusion_flags_from_the_proposal_not_the_contract():
    flags_off = proposal(exclusions={"uc_claims": False, "compounds": False})
    got = excluded([row("C1", basis_of_cost="UC"), row("C2", compound="Y")], None, flags_off)
    assert got[REPRICING] == ZERO and got[AWP] == {**ZERO, "uc": 1, "compound": 1}


def test_the_rebate_formula_looks_at_brand_claims_only():
    got = excluded([row("C1", brand_generic="G", compound="Y"), row("C2", brand_generic="G", channel="MAIL")])
    assert got[REBATE] == ZERO
    assert got[AWP] == {**ZERO, "compound": 1, "no_term": 1}


def test_a_brand_term_without_rebate_per_claim_is_no_term_for_rebates():
    packet = contract(terms=[term("RETAIL_30", "B", rebate_per_claim="5.00"), term("MAIL", "B")])
    got = excluded([row("C1", channel="MAIL")], packet)
    assert got[REBATE] == {**ZERO, "no_term": 1} and got[AWP] == ZERO


def test_every_formula_but_gdr_reports_all_four_excluded_keys():
    result = run([row("C1")], contract(), rebates(), proposal())
    for f in result["formulas"]:
        assert ("excluded" in f) == (f["id"] != "generic_dispensing_rate")
        if "excluded" in f:
            assert list(f["excluded"]) == ["uc", "compound", "zero_awp", "no_term"]


def test_excluded_claims_leave_the_bucket_aggregates():
    got = run([row("C1"), row("C2", basis_of_cost="UC"), row("C3", awp_unit_price="0")])
    awp_row = formula(got, AWP)["buckets"][0]
    fee_row = formula(got, FEE)["buckets"][0]
    assert (awp_row["claims"], awp_row["awp"]) == (1, "300.00") and (fee_row["claims"], fee_row["fees"]) == (2, "2.00")
