"""Small-cell suppression: the 1..10 rule, complementary cells per grouping, linked tables and totals."""
import copy
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.publisher.domain.dashboard import Table, dashboard_tables
from services.publisher.domain.dashboard_netting import group_of
from services.publisher.domain.suppression import CONTEXT_COLUMNS, suppress_tables
from tests.unit.publisher.dashboard_fixtures import dashboard_context, findings_for

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


def test_nothing_happens_when_no_cell_is_small_and_tables_no_rule_judges_are_untouched():
    readiness = Table("readiness", ("run_id", "formula_id", "status", "reasons"), ({"run_id": "r", "formula_id": "f",
                                                                                   "status": "final", "reasons": ""},))
    gdr = Table("generic_dispensing_rate", ("claims", "generic_claims", "gdr"),
                ({"claims": 12, "generic_claims": 2, "gdr": "0.1667"},))
    rows = [row("MAIL", "B", 11), row("MAIL", "G", 12)]
    out = suppress_tables([readiness, table(rows), gdr, totals("awp_discount_guarantee")])
    assert out[0] is readiness and out[2] is gdr
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


def netting(buckets, offset, formula="awp_discount_guarantee"):
    """The offset_groups rows of a member table's rows, summed as calc sums them."""
    sums: dict[str, Decimal] = {}
    for r in buckets:
        group = group_of(offset, r["channel"], r["brand_generic"])
        sums[group] = sums.get(group, Decimal("0.00")) + Decimal(r["variance"])
    rows = tuple({**CONTEXT, "formula_id": formula, "offset": offset, "group": g, "variance": str(v),
                  "shortfall": str(max(v, Decimal("0.00")))} for g, v in sums.items())
    return Table("offset_groups", (*CONTEXT, "formula_id", "offset", "group", "variance", "shortfall"), rows)


def summary():
    row = {**CONTEXT, "readiness": "final", "status_line": "4 of 4 final", "total_owed_final": "9.00",
           "total_owed_modeled": "0.00", "total_owed": "9.00"}
    return Table("run_summary", tuple(row), (row,))


def hidden_in(tables, name):
    return {(r["channel"], r["brand_generic"]) for r in tables[name].rows if r["suppressed"]}


def test_rebate_and_repricing_rows_are_judged_on_their_members_and_linked_to_every_bucket_table():
    context = dashboard_context()
    context = replace(context, findings=findings_for(context, rebate_guarantee={("RETAIL_90", "B"): 5},
                                                     repricing_savings={("MAIL", "G"): 7}))
    tables = {t.name: t for t in suppress_tables(dashboard_tables(context))}
    rebate = {(r["channel"], r["brand_generic"]): r for r in tables["rebate_guarantee"].rows}
    assert rebate[("RETAIL_90", "B")]["suppression_reason"] == "small_cell"
    assert all(rebate[("RETAIL_90", "B")][m] is None for m in ("brand_claims", "members", "received", "variance"))
    repricing = {(r["channel"], r["brand_generic"]): r for r in tables["repricing_savings"].rows}
    assert repricing[("MAIL", "G")]["suppression_reason"] == "small_cell" and repricing[("MAIL", "G")]["savings"] is None
    names = ("awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee", "repricing_savings")
    everywhere = set().union(*(hidden_in(tables, n) for n in names))
    assert {("RETAIL_90", "B"), ("MAIL", "G"), ("SPECIALTY", "G")} <= everywhere   # SPECIALTY/G: 3 AWP members
    for name in names:   # a cell hidden in one table is hidden in all that hold it
        assert hidden_in(tables, name) == everywhere & {(r["channel"], r["brand_generic"]) for r in tables[name].rows}
        for group in _groups(list(tables[name].rows)):
            assert len(group) < 2 or sum(r["suppressed"] for r in group) != 1


@pytest.mark.parametrize("client_id,offset", [("C001", "within_channel"), ("C002", "within_drug_type"),
                                              ("C005", "all"), ("C006", "none")])
def test_a_netting_row_is_hidden_exactly_when_it_would_show_one_hidden_bucket(client_id, offset):
    context = dashboard_context(client_id=client_id, rebates=client_id != "C006")
    # A small repricing cell hides its bucket in the AWP and fee tables too (linked), and so its netting rows.
    context = replace(context, findings=findings_for(context, repricing_savings={("RETAIL_30", "B"): 4}))
    tables = {t.name: t for t in suppress_tables(dashboard_tables(context))}
    rows = tables["offset_groups"].rows
    assert {r["offset"] for r in rows} == {offset}
    for r in rows:
        buckets = tables[r["formula_id"]].rows
        hidden = [b for b in buckets if b["suppressed"] and group_of(offset, b["channel"], b["brand_generic"]) == r["group"]]
        assert r["suppressed"] == (len(hidden) == 1)
        assert (r["variance"] is None) == r["suppressed"]
    if offset == "none":   # each group is one bucket: every hidden bucket's group row is hidden, with its reason
        assert {(r["group"], r["suppression_reason"]) for r in rows if r["suppressed"] and r["formula_id"] ==
                "awp_discount_guarantee"} == {(f"{b['channel']}/{b['brand_generic']}", b["suppression_reason"])
                                              for b in tables["awp_discount_guarantee"].rows if b["suppressed"]}
        assert {r["group"] for r in rows if r["suppressed"]} >= {"RETAIL_30/B"}


def test_a_lone_hidden_bucket_hides_its_totals_its_netting_row_and_the_total_owed():
    awp = table([row("MAIL", "B", 5)])
    inputs = [awp, netting(awp.rows, "all"), totals("awp_discount_guarantee", "generic_dispensing_rate"),
              Table("rebate_totals", totals().columns, ()), summary()]
    _, groups, formula_totals, _, run = suppress_tables(inputs)
    assert [r["suppressed"] for r in groups.rows] == [True] and groups.rows[0]["shortfall"] is None
    assert [r["suppressed"] for r in formula_totals.rows] == [True, False]
    [owed] = run.rows
    assert owed["suppressed"] and owed["total_owed_final"] is owed["total_owed"] is None
    assert (owed["readiness"], owed["status_line"]) == ("final", "4 of 4 final")   # words are never hidden
    two = table([row("MAIL", "B", 5), row("MAIL", "G", 50)])
    _, groups, _, _, run = suppress_tables([two, netting(two.rows, "all"), *inputs[2:]])
    assert not groups.rows[0]["suppressed"] and not run.rows[0]["suppressed"]   # a sum over two hidden cells


def test_a_lone_hidden_netting_group_hides_the_shortfall_it_could_be_worked_out_from():
    awp = table([row("SPECIALTY", "G", 3), row("RETAIL_30", "B", 40), row("RETAIL_30", "G", 41),
                 row("MAIL", "B", 60), row("MAIL", "G", 61)])
    out_awp, groups, formula_totals, run = suppress_tables([awp, netting(awp.rows, "within_channel"),
                                                            totals("awp_discount_guarantee"), summary()])
    assert len(hidden(out_awp)) == 5                       # the complements close every channel and drug type
    assert [(r["group"], r["suppressed"]) for r in groups.rows] == [("SPECIALTY", True), ("RETAIL_30", False),
                                                                    ("MAIL", False)]
    # shortfall − RETAIL_30 − MAIL would be SPECIALTY/G's own shortfall: the total and the total owed are hidden
    assert formula_totals.rows[0]["shortfall"] is None and run.rows[0]["total_owed"] is None


@pytest.mark.parametrize("claims,hidden", [(0, False), (1, True), (10, True), (11, False)])
def test_the_suspect_channel_count_is_a_small_cell_from_one_to_ten_claims(claims, hidden):
    count = Table("suspect_channel", (*CONTEXT, "finding", "claims", "explanation"),
                  ({**CONTEXT, "finding": "suspect_channel", "claims": claims, "explanation": "why"},))
    [out] = suppress_tables([count])
    assert out.rows[0]["suppressed"] is hidden and (out.rows[0]["claims"] is None) is hidden
    assert out.rows[0]["explanation"] == "why"


def test_a_small_unguaranteed_bucket_is_hidden_with_its_spend():
    finding = {**CONTEXT, "finding": "no_term", "channel": "SPECIALTY", "brand_generic": "G", "claims": 9,
               "members": 4, "spend": "1200.00", "explanation": "why"}
    [out] = suppress_tables([Table("unguaranteed_buckets", tuple(finding), (finding,))])
    assert out.rows[0]["suppression_reason"] == "small_cell"
    assert (out.rows[0]["claims"], out.rows[0]["members"], out.rows[0]["spend"]) == (None, None, None)


@settings(max_examples=300, deadline=None)
@given(bucket_rows, st.sampled_from(["none", "within_channel", "within_drug_type", "all"]))
def test_no_published_netting_row_or_total_equals_a_single_hidden_cell(awp_buckets, offset):
    awp = table([row(c, b, m, variance=v) for (c, b), (m, v) in sorted(awp_buckets.items())])
    out_awp, out_groups, out_totals = suppress_tables([awp, netting(awp.rows, offset), totals("awp_discount_guarantee")])
    for r in out_groups.rows:
        in_group = [b for b in out_awp.rows if group_of(offset, b["channel"], b["brand_generic"]) == r["group"]]
        assert r["suppressed"] == (sum(b["suppressed"] for b in in_group) == 1)
    lone_bucket = sum(r["suppressed"] for r in out_awp.rows) == 1
    lone_group = sum(r["suppressed"] for r in out_groups.rows) == 1   # the shortfall less the others would show it
    assert out_totals.rows[0]["suppressed"] == (lone_bucket or lone_group)
