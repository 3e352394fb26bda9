"""Small-cell suppression: the 1..10 rule, complementary cells per grouping, linked tables and totals."""
import copy
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.publisher.domain.dashboard import Table
from services.publisher.domain.suppression import CONTEXT_COLUMNS, suppress_tables

CONTEXT = {"run_id": "run_x", "client_id": "C001", "pbm_id": "PBM_A", "tpa_id": None, "group_ids": "",
           "date_from": "2025-01-01", "date_to": "2025-12-31", "scope_hash": "h", "formula_version": 1, "status": "final"}
MEASURES = ("claims", "members", "awp", "variance")
CHANNELS = ("RETAIL_30", "RETAIL_90", "MAIL", "SPECIALTY")


def row(channel, bg, members, formula="awp_discount_guarantee", variance="1.00"):
    return {**CONTEXT, "formula_id": formula, "channel": channel, "brand_generic": bg, "claims": members * 3,
            "members": members, "awp": "100.00", "variance": variance}


def table(rows, name="awp_discount_guarantee"):
    return Table(name, (*CONTEXT, "formula_id", "channel", "brand_generic", *MEASURES), tuple(rows))


def totals(*formulas):
    rows = tuple({**CONTEXT, "formula_id": f, "shortfall": "9.00", "claims": None} for f in formulas)
    return Table("formula_totals", (*CONTEXT, "formula_id", "shortfall", "claims"), rows)


def hidden(t):
    return {(r["channel"], r["brand_generic"]): r["suppression_reason"] for r in t.rows if r["suppressed"]}


@pytest.mark.parametrize("members", range(1, 11))
def test_one_to_ten_members_is_suppressed_with_every_measure_and_flagged(members):
    [out] = suppress_tables([table([row("MAIL", "B", members), row("MAIL", "G", 50)])])
    small = out.rows[0]
    assert small["suppressed"] and small["suppression_reason"] == "small_cell"
    assert all(small[m] is None for m in MEASURES)
    assert {k: small[k] for k in CONTEXT_COLUMNS if k in small} == {k: row("MAIL", "B", 1)[k] for k in CONTEXT_COLUMNS
                                                                    if k in small}
    assert out.columns[-2:] == ("suppressed", "suppression_reason")


@pytest.mark.parametrize("members", [0, 11, 500])
def test_zero_and_eleven_or_more_are_published(members):
    rows = [row("MAIL", "B", members), row("MAIL", "G", 50)]
    [out] = suppress_tables([table(rows)])
    assert [r["suppressed"] for r in out.rows] == [False, False]
    assert [{k: v for k, v in r.items() if k not in ("suppressed", "suppression_reason")} for r in out.rows] == rows


def test_complementary_picks_the_cells_that_close_every_grouping_deterministically():
    rows = [row("RETAIL_30", "B", 5), row("RETAIL_30", "G", 100), row("MAIL", "B", 30), row("MAIL", "G", 40),
            row("SPECIALTY", "B", 20), row("SPECIALTY", "G", 50)]
    [out] = suppress_tables([table(rows)])
    # Channel RETAIL_30 forces its G; brand picks the smaller SPECIALTY B; generic closes SPECIALTY.
    assert hidden(out) == {("RETAIL_30", "B"): "small_cell", ("RETAIL_30", "G"): "complementary",
                           ("SPECIALTY", "B"): "complementary", ("SPECIALTY", "G"): "complementary"}
    assert suppress_tables([table(rows)]) == [out]


def test_ties_in_members_break_by_channel_then_brand_generic():
    rows = [row("RETAIL_30", "B", 3), row("RETAIL_90", "B", 40), row("MAIL", "B", 40)]
    [out] = suppress_tables([table(rows)])
    assert hidden(out) == {("RETAIL_30", "B"): "small_cell", ("MAIL", "B"): "complementary"}


def test_an_empty_row_is_the_last_choice_of_complement():
    rows = [row("MAIL", "B", 4), row("RETAIL_30", "B", 0), row("RETAIL_90", "B", 90)]
    [out] = suppress_tables([table(rows)])
    assert hidden(out) == {("MAIL", "B"): "small_cell", ("RETAIL_90", "B"): "complementary"}


def test_nothing_happens_when_no_cell_is_small_and_tables_without_members_are_untouched():
    readiness = Table("readiness", ("run_id", "formula_id", "status", "reasons"), ({"run_id": "r", "formula_id": "f",
                                                                                   "status": "final", "reasons": ""},))
    rebate = Table("rebate_guarantee", ("channel", "brand_claims"), ({"channel": "MAIL", "brand_claims": 2},))
    rows = [row("MAIL", "B", 11), row("MAIL", "G", 12)]
    out = suppress_tables([readiness, table(rows), rebate, totals("awp_discount_guarantee")])
    assert out[0] is readiness and out[2] is rebate
    assert not hidden(out[1]) and not any(r["suppressed"] for r in out[3].rows)


def test_a_bucket_hidden_in_one_member_table_is_hidden_in_the_other():
    awp = table([row("MAIL", "B", 5), row("MAIL", "G", 50), row("RETAIL_30", "B", 60), row("RETAIL_30", "G", 70)])
    fee = table([row(c, b, 80, "dispensing_fee_guarantee") for c in ("MAIL", "RETAIL_30") for b in "BG"],
                "dispensing_fee_guarantee")
    out_awp, out_fee = suppress_tables([awp, fee])
    assert set(hidden(out_fee)) == set(hidden(out_awp)) == {(c, b) for c in ("MAIL", "RETAIL_30") for b in "BG"}
    assert set(hidden(out_fee).values()) == {"complementary"}


def test_totals_are_suppressed_only_when_one_hidden_cell_would_equal_them():
    one = table([row("MAIL", "B", 5)])
    two = table([row("MAIL", "B", 5, "dispensing_fee_guarantee"), row("MAIL", "G", 50, "dispensing_fee_guarantee")],
                "dispensing_fee_guarantee")
    *_, out = suppress_tables([one, two, totals("awp_discount_guarantee", "dispensing_fee_guarantee", "gdr")])
    assert [r["suppressed"] for r in out.rows] == [True, False, False]
    assert out.rows[0]["shortfall"] is None and out.rows[1]["shortfall"] == "9.00"


def test_input_is_not_mutated():
    tables = [table([row("MAIL", "B", 5), row("MAIL", "G", 50)]), totals("awp_discount_guarantee")]
    before = copy.deepcopy(tables)
    suppress_tables(tables)
    assert tables == before


money = st.decimals(min_value=Decimal("-1e6"), max_value=Decimal("1e6"), places=2).map(str)
bucket_rows = st.dictionaries(st.tuples(st.sampled_from(CHANNELS), st.sampled_from("BG")),
                              st.tuples(st.one_of(st.integers(0, 12), st.integers(0, 60)), money),
                              min_size=1, max_size=8)


def _groups(rows):
    yield rows
    for field in ("channel", "brand_generic"):
        for value in {r[field] for r in rows}:
            yield [r for r in rows if r[field] == value]


@settings(max_examples=300, deadline=None)
@given(bucket_rows, bucket_rows)
def test_properties_of_suppression(awp_buckets, fee_buckets):
    awp = table([row(c, b, m, variance=v) for (c, b), (m, v) in sorted(awp_buckets.items())])
    fee = table([row(c, b, m, "dispensing_fee_guarantee", v) for (c, b), (m, v) in sorted(fee_buckets.items())],
                "dispensing_fee_guarantee")
    inputs = [awp, fee, totals("awp_discount_guarantee", "dispensing_fee_guarantee")]
    out = suppress_tables(inputs)
    assert out == suppress_tables(copy.deepcopy(inputs))  # (d) deterministic
    hidden_keys = [set(hidden(t)) for t in out[:2]]
    for before, after, keys in zip(inputs, out, hidden_keys):
        for r_in, r_out in zip(before.rows, after.rows):
            assert r_out["suppressed"] or not 1 <= r_in["members"] <= 10  # (a)
            if r_out["suppressed"]:
                assert all(r_out[m] is None for m in MEASURES)
            else:
                assert {k: r_out[k] for k in r_in} == r_in  # (c) published values are untouched
        for group in _groups(after.rows):  # (b) never exactly one hidden cell in a group of two or more
            assert len(group) < 2 or sum(r["suppressed"] for r in group) != 1
        assert keys == (hidden_keys[0] | hidden_keys[1]) & {(r["channel"], r["brand_generic"]) for r in after.rows}
    exposed = [sum(r["suppressed"] for r in t.rows) == 1 for t in out[:2]]
    assert [r["suppressed"] for r in out[2].rows] == exposed  # a lone hidden cell hides its formula total
