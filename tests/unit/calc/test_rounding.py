"""round2 / round4: half up, away from zero, on the exact value (fails under ROUND_HALF_EVEN or truncation)."""
from decimal import Decimal
from fractions import Fraction

import pytest

from services.calc.domain.rounding import exact_arithmetic, ratio, round2, round4

from .builders import contract, formula, row, run, term


@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.125"), "0.13"), (Decimal("0.135"), "0.14"), (Decimal("2.665"), "2.67"),
    (Decimal("-0.125"), "-0.13"), (Decimal("0.124999"), "0.12"), (Decimal("7"), "7.00"),
    (Decimal("-0.004"), "0.00"), (Fraction(1, 8), "0.13"), (Fraction(-1, 8), "-0.13"), (Fraction(1, 3), "0.33"),
])
def test_round2_is_half_up_away_from_zero(value, expected):
    assert str(round2(value)) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (Fraction(12345, 100000), "0.1235"), (Fraction(1, 32), "0.0313"), (Fraction(2, 3), "0.6667"),
    (Fraction(-12345, 100000), "-0.1235"), (Fraction(1, 1), "1.0000"), (Decimal("0.00005"), "0.0001"),
])
def test_round4_is_half_up_on_the_exact_fraction(value, expected):
    assert str(round4(value)) == expected


def test_a_quotient_is_rounded_from_its_exact_fraction_not_a_working_precision():
    # 1 − 1/3 carried at any finite precision and then rounded still gives .6667; the exact fraction is kept.
    assert ratio(Decimal("1.00"), Decimal("3.00")) == Fraction(1, 3)
    assert str(round4(1 - ratio(Decimal("1"), Decimal("3")))) == "0.6667"


def test_exact_arithmetic_raises_instead_of_rounding_silently():
    with exact_arithmetic():
        assert Decimal("1" * 60) + Decimal("0." + "1" * 60) == Decimal("1" * 60 + "." + "1" * 60)
        with pytest.raises(ArithmeticError):
            Decimal("1.005").quantize(Decimal("0.01"))   # only round2/round4 may drop digits


def test_awp_ext_rounds_each_claim_half_up():
    # 1.00005 × 100 = 100.005 → 100.01 (half-even would give 100.00).
    result = run([row("C1", awp_unit_price="1.00005", quantity="100", ingredient_cost_paid="80.00")])
    assert formula(result, "awp_discount_guarantee")["buckets"][0]["awp"] == "100.01"


def test_guaranteed_cost_rounds_half_up():
    # 10.30 × (1 − 0.05) = 9.785 → 9.79 (half-even: 9.78).
    packet = contract(terms=[term("RETAIL_30", "B", "0.0500")])
    result = run([row("C1", awp_unit_price="10.30", ingredient_cost_paid="9.00")], packet)
    assert formula(result, "awp_discount_guarantee")["buckets"][0]["guaranteed_cost"] == "9.79"


def test_actual_discount_rounds_the_exact_quotient_half_up():
    # 1 − 175310.00 / 200000.00 = 0.12345 exactly → 0.1235 (half-even: 0.1234).
    result = run([row("C1", awp_unit_price="200000.00", ingredient_cost_paid="175310.00")])
    assert formula(result, "awp_discount_guarantee")["buckets"][0]["actual_discount"] == "0.1235"


def test_gdr_rounds_the_exact_quotient_half_up():
    rows = [row(f"C{i}", brand_generic="G" if i == 0 else "B") for i in range(32)]
    assert formula(run(rows), "generic_dispensing_rate")["gdr"] == "0.0313"   # 1/32 = 0.03125
    rows = [row(f"C{i}", brand_generic="B" if i == 0 else "G") for i in range(3)]
    assert formula(run(rows), "generic_dispensing_rate")["gdr"] == "0.6667"   # truncation would give 0.6666
