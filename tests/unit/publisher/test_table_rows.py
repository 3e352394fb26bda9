"""The table rows the PDF and workbook renderers lay out (domain: table_view, bucket_rows, netting_view,
findings_rows, evidence_rows, lineage_rows): each value, its style tag and the table's shape are decided here,
without ReportLab or XlsxWriter. Also status_rows (the cover's and the Summary's formula rows) and the owed
block's words (cover_view, workbook_view)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from kernel.words import EXCLUSION_SENTENCES, PROJECTION
from services.publisher.domain.bucket_rows import (
    bucket_rows,
    excluded_records,
    exclusion_rows,
    generic_rate_rows,
    missing_words,
    plain_totals,
    sentence_case,
)
from services.publisher.domain.claim_findings import BucketSpend, ClaimFindings, SuspectClaim
from services.publisher.domain.cover_view import not_included
from services.publisher.domain.evidence_rows import (
    EVIDENCE_HEADER,
    evidence_records,
    evidence_rows,
    missing_evidence,
)
from services.publisher.domain.findings_rows import (
    UNGUARANTEED_COLUMNS,
    bucket_records,
    data_quality_rows,
    excluded_table,
    rejected_records,
    scope_count_records,
    suspect_note,
    suspect_records,
    suspect_rows,
    unguaranteed_rebate_rows,
    unguaranteed_rows,
)
from services.publisher.domain.lineage_rows import formula_versions, lineage_facts, lineage_pairs
from services.publisher.domain.netting_view import (
    NETTING_HEADER,
    NETTING_TOTAL,
    REBATE_DIFFERENCE,
    netting_rows,
    rebate_lines,
    rebate_rows,
)
from services.publisher.domain.run_context import RejectedRow
from services.publisher.domain.status_rows import GOVERNED, cover_status, summary_rows
from services.publisher.domain.table_view import LABEL, MONO, NUMBER, TEXT, TOTAL, Cell, TableView
from services.publisher.domain.workbook_view import blocked_guarantees, owed_guarantees
from tests.publisher_fixtures import sample_context


@pytest.fixture(scope="module")
def context():
    return sample_context()


def formula(context, formula_id: str) -> dict:
    return next(f for f in context.formulas if f["id"] == formula_id)


def values(view: TableView) -> list[list[str]]:
    return [[c.value for c in row] for row in view.rows]


BUCKETS = (BucketSpend("MAIL", "G", 3, 2, Decimal("10.00"), Decimal("1.50")),
           BucketSpend("SPECIALTY", "B", 1200, 7, Decimal("2000.25"), Decimal("0.75")))
SUSPECT = SuspectClaim(row=41, claim_id="CLM-1", fill_date=date(2025, 3, 4), ndc="00002", drug_name="DRUG A",
                       days_supply=90, quantity=Decimal("1234.5"), ingredient_cost_paid=Decimal("1500.00"),
                       dispensing_fee_paid=Decimal("1.25"))


def test_a_cell_has_a_known_style_and_a_row_the_header_s_width():
    with pytest.raises(ValueError, match="unknown cell style"):
        Cell("x", "bold")
    with pytest.raises(ValueError, match="header's 2 cells"):
        TableView(("a", "b"), ((Cell("only one"),),))


def test_bucket_rows_name_each_bucket_and_format_its_fields(context):
    awp = formula(context, "awp_discount_guarantee")
    view = bucket_rows(awp)
    assert view.header[:3] == ("Channel and drug type", "Claims", "Members")
    assert len(view.rows) == len(awp["buckets"]) == 8 and not view.total_row and view.status == "final"
    first = view.rows[0]
    assert first[0] == Cell("Retail 30-day brand", TEXT)
    assert [c.value for c in first[1:3]] == ["303", "193"]
    assert first[5] == Cell("18.32%", NUMBER) and first[-1] == Cell("$2,635.16", NUMBER)


def test_bucket_rows_end_with_the_total_the_result_publishes(context):
    repricing = formula(context, "repricing_savings")
    view = bucket_rows(repricing, total="total_savings")
    assert view.total_row and view.status == "modeled"
    last = view.rows[-1]
    assert last[0] == Cell("Total savings", LABEL)
    assert [c.value for c in last[1:-1]] == ["", "", ""]
    assert last[-1].style == TOTAL and last[-1].value.startswith("$")
    assert len(view.rows) == len(repricing["buckets"]) + 1


def test_exclusion_rows_list_only_the_reasons_that_left_claims_out(context):
    view = exclusion_rows(formula(context, "awp_discount_guarantee"))   # uc 76, compound 14, zero_awp 5, no_term 0
    assert [(c.code, n.value) for c, n in view.rows] == [("uc", "76"), ("compound", "14"), ("zero_awp", "5")]
    assert view.rows[0][0].value[0].isupper() and view.rows[0][0].value[1:] == EXCLUSION_SENTENCES["uc"][1:]
    assert not exclusion_rows(formula(context, "rebate_guarantee")).rows
    assert sentence_case("no AWP price") == "No AWP price"


def test_generic_rate_rows_are_one_row_of_three_figures(context):
    view = generic_rate_rows(formula(context, "generic_dispensing_rate"))
    assert view.header == ("Claims", "Generic claims", "Generic dispensing rate")
    assert values(view) == [["2,469", "2,039", "82.58%"]]


def test_netting_rows_sum_the_groups_and_owe_the_sum_of_their_shortfalls(context):
    view = netting_rows(formula(context, "awp_discount_guarantee"))
    assert view.header == tuple(NETTING_HEADER) and view.total_row
    assert [r[2].value for r in view.rows[:-1]] == ["$1,615.66", "-$724.06", "$1,400.06", "-$950.48"]
    assert view.rows[0][1].value == "Retail 30-day brand + Retail 30-day generic"
    total = view.rows[-1]
    assert total[0] == Cell(NETTING_TOTAL, LABEL)
    assert total[2] == Cell("$1,341.18", TOTAL)      # net variance
    assert total[3] == Cell("$3,015.72", TOTAL)      # shortfall: 1615.66 + 1400.06, more than the net


def test_rebate_rows_reconcile_to_the_shortfall(context):
    rebate = {**formula(context, "rebate_guarantee"), "variance_total": "500.00", "received_other": "120.00",
              "shortfall": "380.00"}
    lineage = {"rebates_received_other": [{"channel": "MAIL", "amount": "120.00"}]}
    view = rebate_rows(rebate, lineage)
    assert [r[1].value for r in view.rows] == ["$500.00", "$120.00", "$380.00", "$380.00"]
    assert view.rows[1][0].value == ("Less: rebates received in channels with no rebate guarantee "
                                     "(Mail order $120.00)")
    assert view.rows[-1][0].style == LABEL and view.rows[-1][1].style == TOTAL and view.total_row


def test_unguaranteed_rows_total_claims_and_money_but_not_members():
    view = unguaranteed_rows(BUCKETS)
    assert view.total_row and len(view.rows) == 3
    assert values(view)[0] == ["Mail order generic", "3", "2", "$10.00", "$1.50", "$11.50"]
    assert values(view)[2] == ["All unguaranteed claims", "1,203", "", "$2,010.25", "$2.25", "$2,012.50"]
    assert [c.style for c in view.rows[2]] == [LABEL, TOTAL, TEXT, TOTAL, TOTAL, TOTAL]
    single = unguaranteed_rows(BUCKETS[:1])
    assert not single.total_row and len(single.rows) == 1
    assert values(unguaranteed_rebate_rows(BUCKETS[1:])) == [["Specialty brand", "1,200", "7", "$2,001.00"]]


def test_suspect_rows_and_records_show_each_claim():
    assert values(suspect_rows((SUSPECT,))) == [["CLM-1", "2025-03-04", "DRUG A", "90", "1,234.5", "$1,500.00",
                                                  "$1.25"]]
    record = suspect_records((SUSPECT,))[0]
    assert record["row"] == 41 and record["quantity"] == Decimal("1234.5") and record["fill_date"] == date(2025, 3, 4)


def test_bucket_records_carry_the_columns_and_the_spend():
    records = bucket_records(BUCKETS)
    assert set(UNGUARANTEED_COLUMNS) <= set(records[0])
    assert records[0]["bucket"] == "Mail order generic" and records[0]["spend"] == Decimal("11.50")


def test_data_quality_counts_only_the_scope(context):
    view = data_quality_rows(context)
    assert [(c.code, n.value) for c, n in view.rows] == [("rejected_in_scope", "0"), ("rows_out_of_scope", "17,417"),
                                                         ("reversed_pairs", "52"), ("orphan_reversals", "0"),
                                                         ("suspect_channel", "2")]
    counts = scope_count_records(context)
    assert {"measure": "rows_out_of_scope", "rows": 17417} in counts
    assert all(c["measure"] not in ("rows_read", "rejects_by_reason") for c in counts)
    rejects = replace(context, rejected_in_scope=(RejectedRow(row=17, reason="bad_value:ndc"),))
    assert rejected_records(rejects) == [{"row": 17, "reason": "bad_value:ndc"}]


def test_suspect_note_says_whether_every_claim_is_listed(context):
    assert suspect_note(context) == "2 claims (not listed for this run)"    # findings not gathered
    one = replace(context, findings=ClaimFindings(suspect_channel=(SUSPECT,), suspect_channel_count=2))
    assert suspect_note(one) == "2 claims; the first 1 are listed, the extract holds every claim"
    both = replace(context, findings=ClaimFindings(suspect_channel=(SUSPECT, SUSPECT), suspect_channel_count=2))
    assert suspect_note(both) == "2 claims, all listed"


def test_excluded_table_puts_formulas_side_by_side(context):
    columns, rows = excluded_table(context)
    assert columns[0] == "reason" and columns[-1] == "why" and len(columns) == 2 + 4   # GDR excludes nothing
    uc = next(r for r in rows if r["reason"] == "uc")
    assert list(uc.values())[1:3] == [76, 76] and uc["why"]


def test_evidence_records_name_the_formulas_each_document_supports(context):
    records = evidence_records(context)
    assert records[0]["supports"] == "awp_discount_guarantee; dispensing_fee_guarantee; rebate_guarantee"
    assert records[1]["supports"] == "rebate_guarantee"
    assert missing_evidence(context) == []
    blocked = sample_context(contract=False)
    assert missing_evidence(blocked)[0] == {"formula_id": "awp_discount_guarantee",
                                            "blocked_reason": "contract_evidence_missing",
                                            "needed": "contract_packet covering the scope"}


def test_evidence_rows_shade_a_candidate_document(context):
    view = evidence_rows(context)
    assert view.header == EVIDENCE_HEADER and not view.shaded_rows
    assert values(view)[0] == ["Contract terms", "CP-C001-PBMA-2025", "Governed, exact", "1", "a" * 64]
    assert [c.style for c in view.rows[0]] == [TEXT, MONO, TEXT, TEXT, MONO]
    candidate = evidence_rows(sample_context(governance="candidate"))
    assert candidate.shaded_rows == {0: "modeled"}


def test_lineage_facts_and_pairs_hold_what_replays_the_run(context):
    facts = {f["field"]: f["value"] for f in lineage_facts(context)}
    assert facts["run_id"] == context.run_id and facts["itr_request_id"] == ""
    assert facts["claims_sha256"] == context.lineage["input_hashes"]["claims_sha256"]
    assert facts["proposal_id"] == "PR-C001-2026"
    assert all(isinstance(v, str) for v in facts.values())
    assert formula_versions(context)[0] == {"formula_id": "awp_discount_guarantee", "version": 1}
    pairs = dict(lineage_pairs(context))
    assert list(lineage_pairs(context))[0] == ("run_id", context.run_id)
    assert pairs["formula versions"].startswith("awp_discount_guarantee 1, dispensing_fee_guarantee 1")
    assert pairs["itr_request_id"] == "none" and pairs["trace_id"] == "0af7651916cd43dd8448eb211c80319c"


def test_missing_words_name_what_would_lift_each_block():
    blocked = formula(sample_context(contract=False), "awp_discount_guarantee")
    assert missing_words(blocked) == ["the executed contract covering the audit period"]
    assert missing_words({"reasons": ["proposal_is_modeled"]}) == []     # not a blocking reason


def test_excluded_records_keep_every_reason_and_plain_totals_skip_the_structure(context):
    records = excluded_records(formula(context, "awp_discount_guarantee"))
    assert [(r["excluded"], r["claims"]) for r in records] == [("uc", 76), ("compound", 14), ("zero_awp", 5),
                                                               ("no_term", 0)]
    assert records[0]["why"] == EXCLUSION_SENTENCES["uc"]
    totals = plain_totals({"id": "x", "version": 1, "status": "final", "reasons": [], "buckets": [],
                           "total": Decimal("1.50"), "claims": 3})
    assert totals == [{"field": "total", "value": "1.50"}, {"field": "claims", "value": "3"}]


def test_cover_status_words_each_formula_and_shows_no_figure_when_blocked(context):
    rows = {r.formula_id: r for r in cover_status(context.result)}
    awp = rows["awp_discount_guarantee"]
    assert (awp.status, awp.why, awp.codes, awp.measure, awp.figure) == ("final", GOVERNED, "", "Shortfall owed",
                                                                         "$3,015.72")
    assert rows["repricing_savings"].why == PROJECTION and rows["repricing_savings"].codes == "proposal_is_modeled"
    assert rows["generic_dispensing_rate"].figure == "82.58%"
    blocked = {r.formula_id: r for r in cover_status(sample_context(contract=False).result)}
    assert blocked["awp_discount_guarantee"].figure is None
    assert blocked["awp_discount_guarantee"].codes == "contract_evidence_missing"


def test_summary_rows_carry_the_headline_field_and_no_value_when_blocked(context):
    rows = summary_rows(context)
    assert [r.figure for r in rows] == ["shortfall", "shortfall", "shortfall", "generic dispensing rate",
                                        "total savings"]
    assert rows[0].field == "shortfall" and rows[0].value == "3015.72" and rows[0].note == ""
    assert rows[0].code.startswith("awp_discount_guarantee")
    assert rows[4].status == "modeled" and rows[4].note == PROJECTION
    blocked = summary_rows(sample_context(contract=False))
    assert blocked[0].status == "blocked" and blocked[0].value is None


def test_the_owed_lines_name_the_guarantees_they_sum_and_the_ones_with_no_figure(context):
    assert owed_guarantees(context, "final") == "AWP discount, dispensing fee, rebate"
    assert owed_guarantees(context, "modeled") == "none"
    assert blocked_guarantees(context) == "none" and not_included(context.result) == "None: every guarantee has a figure"
    modeled = sample_context(governance="candidate")
    assert owed_guarantees(modeled, "modeled") == "AWP discount, dispensing fee, rebate"
    assert owed_guarantees(modeled, "final") == "none"
    blocked = sample_context(contract=False)
    assert owed_guarantees(blocked, "final") == owed_guarantees(blocked, "modeled") == "none"
    assert blocked_guarantees(blocked) == ("AWP discount guarantee: no contract covers the audit period; "
                                           "Dispensing fee guarantee: no contract covers the audit period")
    assert not_included(blocked.result) == "AWP discount guarantee (blocked), Dispensing fee guarantee (blocked)"


def test_rebate_lines_word_each_step_of_the_reconciliation(context):
    rebate = {**formula(context, "rebate_guarantee"), "received_other": "120.00"}
    lines = rebate_lines(rebate, [{"channel": "MAIL", "received_other": "120.00"}])
    assert [code for code, _ in lines] == ["variance_total", "received_other", REBATE_DIFFERENCE, "shortfall"]
    assert lines[1][1] == "rebates received in channels with no rebate guarantee: MAIL $120.00"
    assert lines[3][1] == "max(0, variance_total − received_other); owed to the plan"
    none = rebate_lines(formula(context, "rebate_guarantee"), [])
    assert none[1][1] == "no rebates were received in channels without a rebate guarantee"
