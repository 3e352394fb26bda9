"""Hypothesis properties: netting, shortfall floors and offset ordering, invariance under column and row order."""
import random
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.packets import parse_contract
from services.calc.adapters.claims_file import read_claims
from services.calc.domain.calculate import calculate
from services.calc.domain.claims import CLAIM_COLUMNS

from .builders import contract_json, csv_bytes, formula, rebates, row, scope, term

CHANNELS, DRUG_TYPES = ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY"), ("B", "G")
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _placed(places: int, low: int = 0, high: int = 10**7):
    return st.integers(low, high).map(lambda units: f"{units // 10**places}.{units % 10**places:0{places}d}")


@st.composite
def claim_rows(draw, reversals: bool = True):
    count = draw(st.integers(0, 14))
    statuses = ("PAID", "PAID", "REVERSAL") if reversals else ("PAID",)
    rows = []
    for i in range(count):
        status = draw(st.sampled_from(statuses))
        rows.append(row(
            f"C{i}", claim_status=status,
            reverses_claim_id=f"C{draw(st.integers(0, count))}" if status == "REVERSAL" else "",
            client_id=draw(st.sampled_from(["C001", "C001", "C002"])),
            group_id=draw(st.sampled_from(["GRP_1", "GRP_2"])),
            member_id=draw(st.sampled_from(["M1", "M2", "M3"])), channel=draw(st.sampled_from(CHANNELS)),
            brand_generic=draw(st.sampled_from(DRUG_TYPES)), basis_of_cost=draw(st.sampled_from(["AWP", "MAC", "UC"])),
            compound=draw(st.sampled_from("NNY")), days_supply=str(draw(st.integers(1, 100))),
            quantity=draw(_placed(3, 1, 10**6)), awp_unit_price=draw(_placed(5, 0, 10**9)),
            ingredient_cost_paid=draw(_placed(2)), dispensing_fee_paid=draw(_placed(2, 0, 500))))
    return rows


@st.composite
def contracts(draw):
    buckets = draw(st.lists(st.sampled_from([(c, bg) for c in CHANNELS for bg in DRUG_TYPES]), unique=True))
    terms = [term(c, bg, draw(_placed(4, 0, 9999)), draw(_placed(2, 0, 500)),
                  draw(st.none() | _placed(2, 0, 50000))) for c, bg in buckets]
    offset = draw(st.sampled_from(["none", "within_channel", "within_drug_type", "all"]))
    return contract_json(terms=terms, offset=offset)


def _result(rows, packet_json, columns=CLAIM_COLUMNS):
    return calculate(read_claims(csv_bytes(rows, columns=columns)), scope(), parse_contract(packet_json), rebates())


def _without_hash(result):
    return {**result, "inputs": {**result["inputs"], "claims_sha256": None}}


@FAST
@given(claim_rows(), contracts())
def test_netting_never_increases_counts(rows, packet_json):
    result = _result(rows, packet_json)
    quality = result["data_quality"]
    in_scope = [r for r in rows if r["client_id"] == "C001"]
    paid = sum(1 for r in in_scope if r["claim_status"] == "PAID")
    reversals = len(in_scope) - paid
    netted = formula(result, "generic_dispensing_rate")["claims"]
    assert netted == paid - quality["reversed_pairs"] <= paid
    assert quality["reversed_pairs"] + quality["orphan_reversals"] == reversals
    assert quality["rows_out_of_scope"] == len(rows) - len(in_scope)


@FAST
@given(claim_rows(), contracts())
def test_shortfalls_are_never_negative(rows, packet_json):
    for f in _result(rows, packet_json)["formulas"]:
        if f.get("shortfall") is not None:
            assert not f["shortfall"].startswith("-"), f["id"]


@FAST
@given(claim_rows(), contracts())
def test_offsets_order_the_shortfall_all_then_channel_or_drug_type_then_none(rows, packet_json):
    for formula_id in ("awp_discount_guarantee", "dispensing_fee_guarantee"):
        got = {offset: Decimal(formula(_result(rows, {**packet_json, "offset": offset}), formula_id)["shortfall"] or 0)
               for offset in ("none", "within_channel", "within_drug_type", "all")}
        assert got["all"] <= got["within_channel"] <= got["none"]
        assert got["all"] <= got["within_drug_type"] <= got["none"]


@FAST
@given(claim_rows(), contracts(), st.randoms(use_true_random=False))
def test_permuting_the_columns_changes_nothing_but_claims_sha256(rows, packet_json, rng):
    columns = list(CLAIM_COLUMNS)
    rng.shuffle(columns)
    assert _without_hash(_result(rows, packet_json, tuple(columns))) == _without_hash(_result(rows, packet_json))


@FAST
@given(claim_rows(), contracts(), st.randoms(use_true_random=False))
def test_permuting_the_rows_changes_nothing_but_claims_sha256(rows, packet_json, rng: random.Random):
    # Reversals included: a reversal nets its PAID claim wherever it stands (see registry DECISIONS).
    shuffled = list(rows)
    rng.shuffle(shuffled)
    assert _without_hash(_result(shuffled, packet_json)) == _without_hash(_result(rows, packet_json))
