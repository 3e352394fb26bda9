"""The view models the PDF and workbook renderers draw (services/publisher/domain: report_document, cover_view,
netting_view, formula_labels, workbook_view, extract_plan): what a page or sheet says is decided here, without
ReportLab or XlsxWriter."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from kernel.sufficiency import BLOCKED, MODELED, REPRICING
from kernel.words import PROJECTION
from services.publisher.domain.cover_view import at_a_glance, headline, scope_words, summary_sentences
from services.publisher.domain.dashboard_netting import group_of
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.formula_labels import (
    BLOCKED_LABEL,
    FINAL_REASONS,
    MODELED_LABEL,
    chart_title,
    formula_name,
    note_of,
    reasons_text,
)
from services.publisher.domain.netting_view import GROUP, GROUP_OF, group_buckets, grouped_buckets, other_words
from services.publisher.domain.report_document import AUTHOR, report_document
from services.publisher.domain.run_context import Names
from services.publisher.domain.workbook_view import counted, findings_note, run_banner, scope_facts
from tests.publisher_fixtures import sample_context


@pytest.fixture(scope="module")
def context():
    return sample_context()


def netted(context) -> list[dict]:
    return [f for f in context.result["formulas"] if f.get("offset_groups")]


def test_the_report_document_names_the_run_by_ids_and_its_pages_by_names(context):
    named = replace(context, names=Names(client="Acme Manufacturing", pbm="Big PBM"))
    about = report_document(named)
    scope = named.scope
    assert about.title == (f"Pharmacy benefit audit {scope['client_id']} / {scope['pbm_id']} "
                           f"{scope['date_from']} to {scope['date_to']}")
    assert "Acme Manufacturing (C001)" in about.page_title and about.author == AUTHOR
    assert about.subject == f"run_id {named.run_id} scope_hash {named.scope_hash}"
    final = sum(1 for f in named.result["formulas"] if f["status"] == "final" and f["id"] != REPRICING)
    assert about.band.startswith(f"{final} of ") and about.band.endswith(named.result["readiness"].upper())
    assert about.band_status == named.result["readiness"]


def test_each_bucket_nets_in_exactly_one_published_group_whose_variance_it_adds_up_to(context):
    assert netted(context)
    for formula in netted(context):
        groups = formula["offset_groups"]
        members = [group_buckets(g["group"], formula["offset"], formula["buckets"]) for g in groups]
        assert all(members) and sum(map(len, members)) == len(formula["buckets"])
        for group, buckets in zip(groups, members, strict=True):
            assert sum((Decimal(b["variance"]) for b in buckets), Decimal(0)) == Decimal(group["variance"])
        # The workbook's group column and the dashboard's suppression use the same rule.
        for bucket in grouped_buckets(formula):
            assert bucket[GROUP] == group_of(formula["offset"], bucket["channel"], bucket["brand_generic"])


def test_a_bucket_in_a_group_the_result_does_not_list_is_a_contract_drift(context):
    formula = netted(context)[0]
    drifted = {**formula, "offset_groups": formula["offset_groups"][1:]}
    with pytest.raises(ValueError, match="groups the result does not list"):
        grouped_buckets(drifted)


def test_an_unknown_offset_has_no_group():
    assert group_of("by_moon_phase", "MAIL", "B") is None and "by_moon_phase" not in GROUP_OF


def test_received_other_is_named_by_channel_or_said_to_be_unnamed():
    assert other_words("12.00", [{"channel": "SPECIALTY", "received_other": "12.00"}]) == (
        "rebates received in channels with no rebate guarantee: SPECIALTY $12.00")
    assert other_words("0.00", []) == "no rebates were received in channels without a rebate guarantee"
    assert "does not name them" in other_words("5.00", [])


def test_a_formulas_caveat_follows_its_status():
    formula = {"id": "awp_discount_guarantee", "version": 3, "status": MODELED, "reasons": []}
    assert formula_name(formula) == "awp_discount_guarantee@3"
    assert note_of(formula) == MODELED_LABEL and note_of({**formula, "status": BLOCKED}) == BLOCKED_LABEL
    assert note_of({**formula, "status": "final"}) == "" and reasons_text(formula) == FINAL_REASONS
    assert note_of({**formula, "id": REPRICING, "status": "final"}) == PROJECTION
    assert chart_title("Variance", MODELED) == "Variance - MODELED, not final" and chart_title("Variance", "final") == "Variance"


def test_the_extract_plan_says_where_the_rows_are_once_the_workbook_cannot_carry_them():
    assert ExtractPlan(10, 10).note() is None
    plan = ExtractPlan(100_001, 100_000, ("extract.csv", "extract.parquet"))
    assert not plan.carried and plan.note() == (
        "100,001 claim rows: more than this workbook carries (100,000, LEAF_WORKBOOK_EXTRACT_MAX_ROWS). "
        "The full extract is published with this run as extract.csv and extract.parquet.")


def test_the_cover_says_what_is_owed_and_names_what_has_no_figure(context):
    assert scope_words(context) == "whole client"
    assert summary_sentences(context.result)[0].startswith("The plan is owed $")
    blocked = sample_context(contract=False)
    assert [headline(f) for f in blocked.result["formulas"]][:2] == [("Shortfall owed", None)] * 2
    assert summary_sentences(blocked.result)[0] == ("No figure is given for the AWP discount guarantee and Dispensing "
                                                    "fee guarantee: what they may owe is not included.")
    assert any("84 or more days' supply" in line for line in at_a_glance(context))


def test_every_sheet_of_a_run_that_is_not_final_says_so_and_a_final_run_has_no_banner(context):
    assert run_banner(context) is None
    words, status = run_banner(sample_context(governance="candidate"))
    assert words.startswith("MODELED, not final guarantee claims — ") and status == MODELED
    words, status = run_banner(sample_context(contract=False))
    assert words.startswith("BLOCKED — ") and status == BLOCKED
    assert dict(scope_facts(context))["groups"] == "all" and counted(1, "claim") == "1 claim"
    assert counted(2400, "claim") == "2,400 claims"
    assert findings_note(context).endswith("suspect-channel claims; see the Findings sheet")
