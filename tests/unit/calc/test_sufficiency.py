"""Evidence sufficiency of calculations.md 4: reasons, status, nulled guarantee fields, readiness."""
from datetime import date

import pytest

from kernel.errors import InputError
from kernel.scope import Scope
from services.calc.domain.calculate import calculate, check_evidence_scope

from .builders import batch, contract, formula, proposal, rebates, reversal, row, run, scope

AWP, FEE, REBATE, GDR, REPRICING = ("awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee",
                                    "generic_dispensing_rate", "repricing_savings")


def statuses(result):
    return {f["id"]: (f["status"], f["reasons"]) for f in result["formulas"]}


def test_all_evidence_sufficient_is_final_everywhere_but_repricing():
    got = run([row("C1")], contract(), rebates(), proposal())
    assert statuses(got) == {AWP: ("final", []), FEE: ("final", []), REBATE: ("final", []), GDR: ("final", []),
                             REPRICING: ("modeled", ["proposal_is_modeled"])}
    # The audit is final: a proposal is a projection and never lowers readiness.
    assert got["readiness"] == "final"
    assert run([row("C1")], contract(), rebates())["readiness"] == "final"


def test_no_claims_in_scope_blocks_every_formula():
    got = run([row("C1", client_id="C002")], contract(), rebates(), proposal())
    assert all(s == "blocked" and "no_claims_in_scope" in r for s, r in statuses(got).values())
    assert got["readiness"] == "blocked" and formula(got, GDR)["gdr"] is None


@pytest.mark.parametrize("window", [{"effective_from": "2025-02-01"}, {"effective_to": "2025-11-30"}])
def test_contract_period_gap_blocks_the_guarantees_and_hides_partial_contract_scope(window):
    got = statuses(run([row("C1")], contract(**window), rebates(), run_scope=scope(group_ids=["GRP_1"])))
    assert got[AWP] == got[FEE] == ("blocked", ["contract_period_gap"])
    assert got[REBATE][0] == "blocked" and "partial_contract_scope" not in got[REBATE][1]
    assert got[GDR] == ("final", [])


def test_candidate_contract_evidence_is_modeled_and_governed_lineage_is_sufficient():
    got = statuses(run([row("C1")], contract(governance="candidate"), rebates()))
    assert got[AWP] == got[FEE] == got[REBATE] == ("modeled", ["candidate_contract_evidence"])
    assert statuses(run([row("C1")], contract(governance="governed_lineage"), rebates()))[AWP] == ("final", [])


@pytest.mark.parametrize("scope_changes", [
    {"date_from": "2025-02-01"}, {"date_to": "2025-06-30"}, {"tpa_id": "TPA_1"}, {"group_ids": ["GRP_1"]}])
def test_partial_contract_scope_is_modeled(scope_changes):
    got = statuses(run([row("C1")], contract(),
                       run_scope=scope(**scope_changes)))
    assert got[AWP] == got[FEE] == ("modeled", ["partial_contract_scope"])


def test_rebate_evidence_missing_blocks_rebates_only():
    got = statuses(run([row("C1")], contract()))
    assert got[REBATE] == ("blocked", ["rebate_evidence_missing"]) and got[AWP] == ("final", [])


def test_rebate_evidence_period_must_be_exactly_the_scope_window():
    got = statuses(run([row("C1")], contract(), rebates(period_to="2025-06-30")))
    assert got[REBATE] == ("blocked", ["rebate_evidence_period_mismatch"])


def test_rebate_scope_partial_blocks_rebates():
    got = statuses(run([row("C1")], contract(), rebates(period_to="2025-06-30"),
                       run_scope=scope(date_to="2025-06-30", tpa_id="TPA_1")))
    assert got[REBATE] == ("blocked", ["partial_contract_scope", "rebate_scope_partial"])


@pytest.mark.parametrize("governance", ["governed_lineage", "candidate"])
def test_rebate_evidence_that_is_not_governed_exact_is_modeled(governance):
    got = statuses(run([row("C1")], contract(), rebates(governance=governance)))
    assert got[REBATE] == ("modeled", ["rebate_evidence_not_exact"])


def test_data_quality_rejects_and_orphan_reversals_make_every_formula_modeled():
    got = statuses(run([row("C1"), row("C2", ndc="1"), reversal("R1", "X")], contract(), rebates(), proposal()))
    for formula_id in (AWP, FEE, REBATE, GDR):
        assert got[formula_id] == ("modeled", ["data_quality_rejects", "orphan_reversals"])
    assert got[REPRICING] == ("modeled", ["data_quality_rejects", "orphan_reversals", "proposal_is_modeled"])


def test_reasons_are_all_listed_sorted_and_the_worst_wins():
    got = statuses(run([row("C1"), row("C2", ndc="1")], contract(governance="candidate", effective_to="2025-06-30")))
    assert got[AWP] == ("blocked", ["candidate_contract_evidence", "contract_period_gap", "data_quality_rejects"])


def test_a_blocked_formula_keeps_its_aggregates_and_nulls_exactly_its_guarantee_fields():
    result = run([row("C1")], contract(effective_from="2025-06-01"), None, proposal())
    awp, fee, rebate = formula(result, AWP), formula(result, FEE), formula(result, REBATE)
    assert awp["offset"] == "none" and awp["offset_groups"] is None and fee["offset_groups"] is None
    assert rebate["variance_total"] is None
    assert awp["shortfall"] is None and awp["buckets"][0] == {
        "channel": "RETAIL_30", "brand_generic": "B", "claims": 1, "members": 1, "awp": "300.00",
        "ingredient_cost": "240.00", "actual_discount": "0.2000", "guaranteed_discount": None,
        "guaranteed_cost": None, "variance": None}
    assert fee["shortfall"] is None and fee["buckets"][0] == {
        "channel": "RETAIL_30", "brand_generic": "B", "claims": 1, "members": 1, "fees": "1.00",
        "dispensing_fee": None, "guaranteed_fees": None, "variance": None}
    assert rebate["received_other"] is None and rebate["shortfall"] is None and rebate["buckets"][0] == {
        "channel": "RETAIL_30", "brand_generic": "B", "brand_claims": 1, "rebate_per_claim": None,
        "guaranteed": None, "received": None, "variance": None}


def test_a_blocked_repricing_nulls_proposed_cost_savings_and_total_savings():
    got = formula(run([row("C1", client_id="C002")], proposal_packet=proposal()), REPRICING)
    assert got["total_savings"] is None and got["unpriced_buckets"] == []
    assert got["buckets"][0] == {"channel": "RETAIL_30", "brand_generic": "B", "claims": 0, "current_cost": "0.00",
                                 "proposed_cost": None, "savings": None}


def test_without_a_contract_packet_the_guarantees_are_blocked_and_nothing_is_substituted():
    result = run([row("C1"), row("C2", brand_generic="G")], None, rebates())
    assert [f["id"] for f in result["formulas"]] == [AWP, FEE, GDR]
    for formula_id in (AWP, FEE):
        assert formula(result, formula_id) == {
            "id": formula_id, "version": 1, "status": "blocked", "reasons": ["contract_evidence_missing"],
            "excluded": {"uc": 0, "compound": 0, "zero_awp": 0, "no_term": 0}, "buckets": [],
            "offset": None, "offset_groups": None, "shortfall": None}
    assert formula(result, GDR)["gdr"] == "0.5000" and result["readiness"] == "blocked"
    assert result["inputs"]["contract_packet_id"] is None
    assert result["inputs"]["rebate_evidence_id"] == "RB-C001-PBMA-2025"


@pytest.mark.parametrize("evidence", [{"client_id": "C002"}, {"pbm_id": "PBM_B"}])
def test_evidence_for_another_client_or_pbm_is_scope_evidence_mismatch(evidence):
    for packet, rebate_evidence in ((contract(**evidence), None), (contract(), rebates(**evidence))):
        with pytest.raises(InputError) as caught:
            calculate(batch([row("C1")]), scope(), packet, rebate_evidence)
        assert caught.value.code == "scope_evidence_mismatch"
    check_evidence_scope(scope(), contract(), rebates())
    check_evidence_scope(scope(), None, None)


@pytest.mark.parametrize("bad_scope", [
    Scope("C001", "PBM_A", date(2025, 2, 1), date(2025, 1, 31)), Scope("", "PBM_A", date(2025, 1, 1), date(2025, 2, 1)),
    Scope("C001", "PBM_A", date(2025, 1, 1), date(2025, 2, 1), group_ids=("",))])
def test_an_invalid_scope_is_bad_input_scope_and_nothing_is_computed(bad_scope):
    with pytest.raises(InputError) as caught:
        calculate(batch([row("C1")]), bad_scope, contract())
    assert caught.value.code == "bad_input:scope"
