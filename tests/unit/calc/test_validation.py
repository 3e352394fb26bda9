"""Row rules of calculations.md 1.1: one reason per rule, first failing column in table order, typed values."""
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.calc.domain.claims import CLAIM_COLUMNS
from services.calc.domain.validation import check_by_rules, validate_row

from .builders import VALID_ROW, batch, row

BAD_VALUES = [
    ("claim_id", ""),
    ("claim_status", "paid"), ("claim_status", "VOID"), ("claim_status", " PAID"),
    ("client_id", ""), ("pbm_id", ""), ("tpa_id", ""), ("group_id", ""),
    ("fill_date", "2025-02-30"), ("fill_date", "20250301"), ("fill_date", "2025-3-01"), ("fill_date", "2025-W09-6"),
    ("fill_date", " 2025-03-01"), ("fill_date", ""),
    ("ndc", "0000212340"), ("ndc", "000021234011"), ("ndc", "0000212340a"), ("ndc", "٠٠٠٠٢١٢٣٤٠١"),
    ("brand_generic", "b"), ("brand_generic", "BG"), ("brand_generic", ""),
    ("channel", "RETAIL_60"), ("channel", "mail"),
    ("basis_of_cost", "U&C"), ("basis_of_cost", "awp"),
    ("compound", "y"), ("compound", "1"), ("compound", ""),
    ("days_supply", "0"), ("days_supply", "-1"), ("days_supply", "30.0"), ("days_supply", "+30"),
    ("days_supply", " 30"),
    ("quantity", "0"), ("quantity", "0.000"), ("quantity", "1.2345"), ("quantity", "-1"), ("quantity", "1e2"),
    ("awp_unit_price", "1.123456"), ("awp_unit_price", "+1"), ("awp_unit_price", "1,000.00"),
    ("ingredient_cost_paid", "1.234"), ("ingredient_cost_paid", "-0.01"), ("ingredient_cost_paid", ".50"),
    ("ingredient_cost_paid", "5."), ("ingredient_cost_paid", ""), ("ingredient_cost_paid", "1.50 "),
    ("dispensing_fee_paid", "NaN"), ("member_paid", "Infinity"), ("plan_paid", "1.0E2"), ("plan_paid", "1.500"),
    ("pharmacy_npi", "123456789"), ("pharmacy_npi", "12345678901"), ("pharmacy_npi", "123456789X"),
]


@pytest.mark.parametrize(("column", "value"), BAD_VALUES)
def test_a_value_that_breaks_its_column_rule_is_bad_value_of_that_column(column, value):
    got = batch([{**row("C1"), column: value}])
    assert [r.reason for r in got.rejects] == [f"bad_value:{column}"] and got.claims == []


def test_a_reversal_needs_reverses_claim_id_and_a_paid_claim_must_not_have_one():
    got = batch([row("C1", claim_status="REVERSAL"), row("C2", reverses_claim_id="C1")])
    assert [r.reason for r in got.rejects] == ["bad_value:reverses_claim_id"] * 2


@pytest.mark.parametrize(("column", "value"), [
    ("member_id", ""), ("drug_name", ""), ("days_supply", "007"), ("quantity", "0.001"), ("quantity", "12"),
    ("awp_unit_price", "0"), ("awp_unit_price", "1.12345"), ("ingredient_cost_paid", "0.00"), ("plan_paid", "7"),
])
def test_values_that_keep_the_rules_are_valid(column, value):
    assert batch([{**row("C1"), column: value}]).rejects == []


def test_the_first_failing_column_in_table_order_names_the_reason_whatever_the_file_order():
    bad = row("C1", pharmacy_npi="1", quantity="0", ndc="1", group_id="")
    for columns in (CLAIM_COLUMNS, tuple(reversed(CLAIM_COLUMNS))):
        assert [r.reason for r in batch([bad], columns=columns).rejects] == ["bad_value:group_id"]


def test_an_invalid_status_is_reported_before_the_reverses_rule():
    fields = list(row(claim_status="X", reverses_claim_id="C0").values())
    assert validate_row(1, fields).reason == "bad_value:claim_status"


def test_a_claim_carries_typed_values_and_money_as_decimal():
    claim = batch([row("C1", compound="Y", quantity="2.500", days_supply="90")]).claims[0]
    assert claim.fill_date == date(2025, 3, 1) and claim.compound is True and claim.days_supply == 90
    for field in ("quantity", "awp_unit_price", "ingredient_cost_paid", "dispensing_fee_paid", "member_paid",
                  "plan_paid"):
        assert type(getattr(claim, field)) is Decimal
    assert claim.quantity == Decimal("2.500") and claim.ndc == "00002123401"


def test_values_are_taken_as_written_without_trimming_or_case_folding():
    claim = batch([row(" C1 ", member_id=" m1", drug_name=" amox ")]).claims[0]
    assert (claim.claim_id, claim.member_id, claim.drug_name) == (" C1 ", " m1", " amox ")


def test_a_rejected_row_keeps_its_scope_hints_as_written_and_a_valid_fill_date():
    reject = batch([row("C1", ndc="1", client_id="C002", fill_date="2024-12-31")]).rejects[0]
    assert (reject.shape_ok, reject.client_id, reject.pbm_id, reject.tpa_id, reject.group_id, reject.fill_date) == (
        True, "C002", "PBM_A", "TPA_1", "GRP_1", date(2024, 12, 31))
    assert batch([row("C1", fill_date="2024-13-01")]).rejects[0].fill_date is None


def test_every_builder_column_is_a_claim_column():
    assert tuple(VALID_ROW) == CLAIM_COLUMNS


_CANDIDATES = {column: [VALID_ROW[column], ""] + [value for c, value in BAD_VALUES if c == column]
               for column in CLAIM_COLUMNS}
_CANDIDATES["claim_status"] += ["REVERSAL"]
_CANDIDATES["reverses_claim_id"] += ["C0", "a|b"]
_CANDIDATES["ndc"] += ["0000|212340"]
_CANDIDATES["quantity"] += ["1|0", "0.5"]


@st.composite
def mostly_valid_rows(draw):
    values = dict(VALID_ROW)
    if draw(st.booleans()):
        values.update(claim_status="REVERSAL", reverses_claim_id="C0")
    for column in draw(st.lists(st.sampled_from(CLAIM_COLUMNS), max_size=3)):
        values[column] = draw(st.sampled_from(_CANDIDATES[column]) | st.text(max_size=4))
    return [values[c] for c in CLAIM_COLUMNS]


@settings(max_examples=200, deadline=None)
@given(mostly_valid_rows())
def test_the_fast_path_agrees_with_the_column_rules(values):
    assert validate_row(7, values) == check_by_rules(7, values)
