"""The worked example of calculations.md 6: aggregates, actual discounts and the four offsets."""
import dataclasses
from decimal import Decimal

import pytest

from services.calc.domain.calculate import calculate
from services.calc.domain.claims import ClaimsBatch

from .builders import batch, contract, formula, row, scope, term

# (channel, brand_generic, claims, awp per claim, ingredient cost per claim, guaranteed discount)
EXAMPLE = [("RETAIL_30", "B", 2000, "500.00", "407.50", "0.1900"),
           ("RETAIL_30", "G", 10000, "200.00", "33.00", "0.8500"),
           ("MAIL", "B", 500, "1000.00", "770.00", "0.2200"),
           ("MAIL", "G", 1500, "400.00", "44.00", "0.8800")]


def example_batch() -> ClaimsBatch:
    template = batch([row("T")]).claims[0]
    claims = []
    for channel, brand_generic, count, awp, cost, _ in EXAMPLE:
        for _ in range(count):
            n = len(claims) + 1
            claims.append(dataclasses.replace(template, row=n, claim_id=f"C{n}", channel=channel,
                                              brand_generic=brand_generic, awp_unit_price=Decimal(awp),
                                              ingredient_cost_paid=Decimal(cost), member_id=f"M{n % 97}"))
    return ClaimsBatch("0" * 64, len(claims), claims, [], len(claims))


@pytest.fixture(scope="module")
def claims():
    return example_batch()


def example_awp(claims, offset):
    terms = [term(c, bg, discount) for c, bg, _, _, _, discount in EXAMPLE]
    return formula(calculate(claims, scope(), contract(offset=offset, terms=terms)), "awp_discount_guarantee")


def test_the_bucket_aggregates_and_actual_discounts(claims):
    buckets = example_awp(claims, "none")["buckets"]
    got = [(b["channel"], b["brand_generic"], b["claims"], b["awp"], b["ingredient_cost"], b["guaranteed_discount"],
            b["guaranteed_cost"], b["variance"], b["actual_discount"]) for b in buckets]
    assert got == [
        ("RETAIL_30", "B", 2000, "1000000.00", "815000.00", "0.1900", "810000.00", "5000.00", "0.1850"),
        ("RETAIL_30", "G", 10000, "2000000.00", "330000.00", "0.8500", "300000.00", "30000.00", "0.8350"),
        ("MAIL", "B", 500, "500000.00", "385000.00", "0.2200", "390000.00", "-5000.00", "0.2300"),
        ("MAIL", "G", 1500, "600000.00", "66000.00", "0.8800", "72000.00", "-6000.00", "0.8900"),
    ]


@pytest.mark.parametrize(("offset", "shortfall"), [
    ("none", "35000.00"), ("within_channel", "35000.00"), ("within_drug_type", "24000.00"), ("all", "24000.00")])
def test_the_shortfall_under_each_offset(claims, offset, shortfall):
    assert example_awp(claims, offset)["shortfall"] == shortfall


@pytest.mark.parametrize(("offset", "groups"), [
    ("none", [("RETAIL_30/B", "5000.00", "5000.00"), ("RETAIL_30/G", "30000.00", "30000.00"),
              ("MAIL/B", "-5000.00", "0.00"), ("MAIL/G", "-6000.00", "0.00")]),
    ("within_channel", [("RETAIL_30", "35000.00", "35000.00"), ("MAIL", "-11000.00", "0.00")]),
    ("within_drug_type", [("B", "0.00", "0.00"), ("G", "24000.00", "24000.00")]),
    ("all", [("all", "24000.00", "24000.00")])])
def test_the_netting_groups_under_each_offset(claims, offset, groups):
    got = example_awp(claims, offset)
    assert [(g["group"], g["variance"], g["shortfall"]) for g in got["offset_groups"]] == groups
    assert sum(Decimal(g["shortfall"]) for g in got["offset_groups"]) == Decimal(got["shortfall"])
