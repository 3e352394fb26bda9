"""The status line and the total owed every deliverable shows before any table."""
from decimal import Decimal

from services.publisher.domain.audit_summary import owed, status_line


def _formula(formula_id, status, reasons=(), shortfall=None):
    return {"id": formula_id, "status": status, "reasons": list(reasons), "shortfall": shortfall}


def _result(*formulas):
    return {"formulas": list(formulas)}


def test_every_formula_final_says_so_with_the_count():
    result = _result(_formula("awp_discount_guarantee", "final", shortfall="10.00"),
                     _formula("dispensing_fee_guarantee", "final", shortfall="0.00"),
                     {"id": "generic_dispensing_rate", "status": "final", "reasons": []})
    assert status_line(result) == "3 of 3 final"


def test_a_blocked_formula_is_named_with_its_reason_in_words():
    result = _result(_formula("awp_discount_guarantee", "final", shortfall="1.00"),
                     _formula("dispensing_fee_guarantee", "final", shortfall="2.00"),
                     _formula("rebate_guarantee", "blocked", ["rebate_evidence_missing"]),
                     {"id": "generic_dispensing_rate", "status": "final", "reasons": []})
    assert status_line(result) == "3 of 4 final; rebate blocked: no rebate evidence for the audit period"


def test_repricing_is_not_counted_and_never_lowers_the_line():
    result = _result(_formula("awp_discount_guarantee", "final", shortfall="1.00"),
                     {"id": "repricing_savings", "status": "modeled", "reasons": ["proposal_is_modeled"]})
    assert status_line(result) == "1 of 1 final"


def test_owed_splits_final_and_modeled_and_names_what_is_blocked():
    result = _result(_formula("awp_discount_guarantee", "final", shortfall="12981.60"),
                     _formula("dispensing_fee_guarantee", "modeled", ["candidate_contract_evidence"], "204.17"),
                     _formula("rebate_guarantee", "blocked", ["rebate_evidence_missing"]),
                     {"id": "repricing_savings", "status": "modeled", "reasons": [], "total_savings": "99.00"})
    got = owed(result)
    assert (got.final, got.modeled, got.total) == (Decimal("12981.60"), Decimal("204.17"), Decimal("13185.77"))
    assert got.blocked == ("rebate_guarantee",)


def test_formulas_held_back_for_the_same_reasons_are_named_together():
    partial = ["partial_contract_scope"]
    result = _result(_formula("awp_discount_guarantee", "modeled", partial, "1.00"),
                     _formula("dispensing_fee_guarantee", "modeled", partial, "2.00"),
                     _formula("rebate_guarantee", "blocked", ["rebate_scope_partial"]),
                     {"id": "generic_dispensing_rate", "status": "final", "reasons": []})
    assert status_line(result) == (
        "1 of 4 final; AWP discount and dispensing fee modeled: the audit covers part of the contract, which settles "
        "over its whole term; rebate blocked: rebates are reported for the whole client, but the audit covers only "
        "part of it")
