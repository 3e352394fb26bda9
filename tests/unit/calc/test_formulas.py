"""Formulas of calculations.md 3: every field, ordering, offsets, the rebate and repricing rules."""
import pytest

from .builders import contract, formula, proposal, rebates, row, run, term

AWP, FEE, REBATE, GDR, REPRICING = ("awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee",
                                    "generic_dispensing_rate", "repricing_savings")


def test_awp_discount_guarantee_matches_the_section_5_example():
    got = formula(run([row("C1")], contract(terms=[term("RETAIL_30", "B")])), AWP)
    assert got == {"id": AWP, "version": 1, "status": "final", "reasons": [],
                   "excluded": {"uc": 0, "compound": 0, "zero_awp": 0, "no_term": 0},
                   "buckets": [{"channel": "RETAIL_30", "brand_generic": "B", "claims": 1, "members": 1,
                                "awp": "300.00", "ingredient_cost": "240.00", "actual_discount": "0.2000",
                                "guaranteed_discount": "0.1950", "guaranteed_cost": "241.50", "variance": "-1.50"}],
                   "offset": "none", "offset_groups": [{"group": "RETAIL_30/B", "variance": "-1.50", "shortfall": "0.00"}],
                   "shortfall": "0.00"}


def test_awp_sums_awp_ext_and_counts_distinct_members():
    rows = [row("C1", awp_unit_price="10.12345", quantity="3", member_id="M1"),    # 30.37035 → 30.37
            row("C2", awp_unit_price="2.5", quantity="1.5", member_id="M1"),        # 3.75
            row("C3", member_id="M2", ingredient_cost_paid="0.5")]
    bucket = formula(run(rows), AWP)["buckets"][0]
    assert (bucket["claims"], bucket["members"], bucket["awp"]) == (3, 2, "334.12")
    assert bucket["ingredient_cost"] == "480.50" and bucket["guaranteed_cost"] == "268.97"   # 334.12 × 0.805
    assert bucket["variance"] == "211.53" and formula(run(rows), AWP)["shortfall"] == "211.53"


def test_every_term_bucket_gets_a_row_even_without_eligible_claims():
    got = formula(run([row("C1")]), AWP)["buckets"][1]
    assert got == {"channel": "RETAIL_30", "brand_generic": "G", "claims": 0, "members": 0, "awp": "0.00",
                   "ingredient_cost": "0.00", "actual_discount": None, "guaranteed_discount": "0.8000",
                   "guaranteed_cost": "0.00", "variance": "0.00"}


def test_buckets_are_ordered_by_channel_of_the_table_then_brand_before_generic():
    terms = [term(c, bg) for c in ("SPECIALTY", "MAIL", "RETAIL_90", "RETAIL_30") for bg in ("G", "B")]
    result = run([row("C1")], contract(terms=terms), proposal_packet=proposal(terms=list(reversed(terms))))
    expected = [(c, bg) for c in ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY") for bg in ("B", "G")]
    for formula_id in (AWP, FEE, REPRICING):
        assert [(b["channel"], b["brand_generic"]) for b in formula(result, formula_id)["buckets"]] == expected


def test_dispensing_fee_guarantee_fields():
    packet = contract(terms=[term("RETAIL_30", "B", dispensing_fee="0.75")])
    rows = [row("C1", dispensing_fee_paid="1.00"), row("C2", dispensing_fee_paid="0.40", member_id="M2")]
    got = formula(run(rows, packet), FEE)
    assert got["buckets"] == [{"channel": "RETAIL_30", "brand_generic": "B", "claims": 2, "members": 2,
                               "fees": "1.40", "dispensing_fee": "0.75", "guaranteed_fees": "1.50",
                               "variance": "-0.10"}]
    assert got["shortfall"] == "0.00"


@pytest.mark.parametrize(("offset", "expected"), [
    ("none", "2.00"), ("within_channel", "1.50"), ("within_drug_type", "1.00"), ("all", "0.50")])
def test_dispensing_fee_shortfall_uses_the_contract_offset(offset, expected):
    # variances: RETAIL_30 B +2.00, RETAIL_30 G −0.50, MAIL B −1.00
    terms = [term("RETAIL_30", "B"), term("RETAIL_30", "G"), term("MAIL", "B")]
    rows = [row("C1", dispensing_fee_paid="3.00"), row("C2", brand_generic="G", dispensing_fee_paid="0.50"),
            row("C3", channel="MAIL", dispensing_fee_paid="0.00")]
    assert formula(run(rows, contract(terms=terms, offset=offset)), FEE)["shortfall"] == expected


@pytest.mark.parametrize(("offset", "groups"), [
    ("none", [("RETAIL_30/B", "2.00", "2.00"), ("RETAIL_30/G", "-0.50", "0.00"), ("MAIL/B", "-1.00", "0.00")]),
    ("within_channel", [("RETAIL_30", "1.50", "1.50"), ("MAIL", "-1.00", "0.00")]),
    ("within_drug_type", [("B", "1.00", "1.00"), ("G", "-0.50", "0.00")]),
    ("all", [("all", "0.50", "0.50")])])
def test_offset_groups_show_the_netting_and_sum_to_the_shortfall(offset, groups):
    terms = [term("RETAIL_30", "B"), term("RETAIL_30", "G"), term("MAIL", "B")]
    rows = [row("C1", dispensing_fee_paid="3.00"), row("C2", brand_generic="G", dispensing_fee_paid="0.50"),
            row("C3", channel="MAIL", dispensing_fee_paid="0.00")]
    got = formula(run(rows, contract(terms=terms, offset=offset)), FEE)
    assert got["offset"] == offset
    assert [(g["group"], g["variance"], g["shortfall"]) for g in got["offset_groups"]] == groups
    assert list(got)[-3:] == ["offset", "offset_groups", "shortfall"]


def test_drug_type_groups_are_brand_then_generic_even_when_a_generic_bucket_comes_first():
    terms = [term("RETAIL_30", "G"), term("MAIL", "B")]
    rows = [row("C1", brand_generic="G", dispensing_fee_paid="3.00"), row("C2", channel="MAIL")]
    got = formula(run(rows, contract(terms=terms, offset="within_drug_type")), FEE)
    assert [g["group"] for g in got["offset_groups"]] == ["B", "G"]


def test_rebate_guarantee_rows_per_channel_with_a_brand_rebate_term():
    terms = [term("MAIL", "B", rebate_per_claim="100.10"), term("RETAIL_30", "B", rebate_per_claim="210.00"),
             term("RETAIL_30", "G", rebate_per_claim="99.00"), term("RETAIL_90", "B")]
    evidence = rebates(received=[{"channel": "RETAIL_30", "amount": "300.00"},
                                 {"channel": "SPECIALTY", "amount": "50.00"},
                                 {"channel": "RETAIL_90", "amount": "20.00"}])
    rows = [row("C1"), row("C2"), row("C3", channel="MAIL"), row("C4", brand_generic="G")]
    got = formula(run(rows, contract(terms=terms), evidence), REBATE)
    assert got["buckets"] == [
        {"channel": "RETAIL_30", "brand_generic": "B", "brand_claims": 2, "rebate_per_claim": "210.00",
         "guaranteed": "420.00", "received": "300.00", "variance": "120.00"},
        {"channel": "MAIL", "brand_generic": "B", "brand_claims": 1, "rebate_per_claim": "100.10",
         "guaranteed": "100.10", "received": "0.00", "variance": "100.10"}]
    assert got["variance_total"] == "220.10"   # 120.00 + 100.10
    assert got["received_other"] == "70.00" and got["shortfall"] == "150.10"   # 220.10 − 70.00
    assert list(got)[-3:] == ["variance_total", "received_other", "shortfall"]


def test_rebate_shortfall_is_floored_at_zero():
    evidence = rebates(received=[{"channel": "RETAIL_30", "amount": "1000.00"}])
    got = formula(run([row("C1")], rebate_evidence=evidence), REBATE)
    assert got["buckets"][0]["variance"] == "-790.00" and got["shortfall"] == "0.00"


def test_rebate_guarantee_is_absent_without_a_brand_rebate_term():
    terms = [term("RETAIL_30", "B"), term("RETAIL_30", "G", rebate_per_claim="5.00")]
    ids = [f["id"] for f in run([row("C1")], contract(terms=terms), rebates())["formulas"]]
    assert ids == [AWP, FEE, GDR]


def test_formulas_come_in_the_documented_order():
    ids = [f["id"] for f in run([row("C1")], contract(), rebates(), proposal())["formulas"]]
    assert ids == [AWP, FEE, REBATE, GDR, REPRICING]


def test_generic_dispensing_rate_over_netted_claims_without_exclusions():
    rows = [row("C1", brand_generic="G", compound="Y"), row("C2", brand_generic="G", channel="MAIL"), row("C3"),
            row("C4", brand_generic="G")]
    got = formula(run(rows + [{**row("R1"), "claim_status": "REVERSAL", "reverses_claim_id": "C4"}]), GDR)
    assert got == {"id": GDR, "version": 1, "status": "final", "reasons": [], "claims": 3, "generic_claims": 2,
                   "gdr": "0.6667"}


def test_repricing_savings_per_proposal_term_with_unpriced_buckets():
    packet = proposal(terms=[term("RETAIL_30", "B", "0.2500", "0.50"), term("MAIL", "B", "0.2000", "0.10")])
    rows = [row("C1"), row("C2", awp_unit_price="100.00", ingredient_cost_paid="90.00", dispensing_fee_paid="2.00"),
            row("C3", channel="SPECIALTY", brand_generic="G"), row("C4", channel="RETAIL_90")]
    got = formula(run(rows, proposal_packet=packet), REPRICING)
    # current 240 + 1 + 90 + 2 = 333.00; proposed round2(400 × 0.75) + round2(2 × 0.50) = 301.00
    assert got["buckets"] == [
        {"channel": "RETAIL_30", "brand_generic": "B", "claims": 2, "current_cost": "333.00",
         "proposed_cost": "301.00", "savings": "32.00"},
        {"channel": "MAIL", "brand_generic": "B", "claims": 0, "current_cost": "0.00", "proposed_cost": "0.00",
         "savings": "0.00"}]
    assert got["total_savings"] == "32.00" and got["status"] == "modeled"
    assert got["unpriced_buckets"] == [{"channel": "RETAIL_90", "brand_generic": "B"},
                                       {"channel": "SPECIALTY", "brand_generic": "G"}]
    assert list(got) == ["id", "version", "status", "reasons", "excluded", "buckets", "total_savings",
                         "unpriced_buckets"]


def test_total_savings_may_be_negative():
    packet = proposal(terms=[term("RETAIL_30", "B", "0.0000", "5.00")])
    got = formula(run([row("C1")], proposal_packet=packet), REPRICING)
    assert got["buckets"][0]["savings"] == "-64.00" and got["total_savings"] == "-64.00"
