"""Dashboard tables from real results: shapes, words beside codes, the GDR, the netting, findings, booleans."""
import csv
import io
import json
from dataclasses import replace
from decimal import Decimal

import pytest

from kernel.words import FLOOR_RULE, OFFSET_RULES, REBATE_OFFSET_RULE, SIGN_CONVENTION, formula_title, reason_sentence
from services.publisher.domain.dashboard import SCOPE_COLUMNS, dashboard_tables, to_csv
from services.publisher.domain.dashboard_netting import group_of
from services.publisher.domain.deliverable_files import table_json
from services.publisher.domain.suppression import suppress_tables
from tests.unit.publisher.dashboard_fixtures import NAMES, UNGUARANTEED, dashboard_context

TABLES = ["run_summary", "readiness", "awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee",
          "generic_dispensing_rate", "repricing_savings", "offset_groups", "rebate_totals", "unguaranteed_buckets",
          "suspect_channel", "formula_totals"]
# The demo's offsets: C001 within_channel, C002 within_drug_type, C005 all, C006 none (its rebate blocked).
RUNS = [dict(client_id="C001"), dict(client_id="C002"), dict(client_id="C005"),
        dict(client_id="C006", rebates=False, proposal=False), dict(governance="candidate"), dict(contract=False)]


def by_name(context):
    return {t.name: t for t in dashboard_tables(context)}


def test_every_table_always_and_each_row_carries_the_run_and_its_scope_and_no_member_field():
    context = dashboard_context(proposal=False)
    tables = dashboard_tables(context)
    assert [t.name for t in tables] == TABLES
    assert by_name(context)["repricing_savings"].rows == ()      # no proposal: present and empty, clears old rows
    for table in tables:
        assert table.columns[:len(SCOPE_COLUMNS)] == SCOPE_COLUMNS
        assert not {"member_id", "member_key", "claim_id", "fill_date", "ndc"} & set(table.columns)
        for row in table.rows:
            assert row["run_id"] == context.run_id and row["scope_hash"] == context.scope_hash
            assert set(row) == set(table.columns)


@pytest.mark.parametrize("variant", RUNS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v))
def test_bucket_tables_are_the_results_buckets_with_member_counts_from_the_findings(variant):
    context = dashboard_context(**variant)
    tables = by_name(context)
    for formula in context.formulas:
        if "buckets" not in formula:
            continue
        rows = tables[formula["id"]].rows
        assert [{k: r[k] for k in b} for r, b in zip(rows, formula["buckets"], strict=True)] == formula["buckets"]
        eligible = context.findings.eligible_members.get(formula["id"])
        if eligible is not None:        # rebate and repricing: the result has no member count, the findings do
            assert [r["members"] for r in rows] == [eligible[(r["channel"], r["brand_generic"])] for r in rows]


def test_rebate_and_repricing_members_are_absent_without_findings_so_suppression_hides_them():
    context = replace(dashboard_context(), findings=None)
    tables = by_name(context)
    assert {r["members"] for name in ("rebate_guarantee", "repricing_savings") for r in tables[name].rows} == {None}
    assert tables["unguaranteed_buckets"].rows == ()
    suppressed = {t.name: t for t in suppress_tables(list(tables.values()))}
    assert all(r["suppressed"] for name in ("rebate_guarantee", "repricing_savings") for r in suppressed[name].rows)


def test_the_gdr_table_is_the_results_generic_dispensing_rate():
    context = dashboard_context()
    [row] = by_name(context)["generic_dispensing_rate"].rows
    gdr = context.formula("generic_dispensing_rate")
    assert (row["claims"], row["generic_claims"], row["gdr"], row["status"]) == (gdr["claims"], gdr["generic_claims"],
                                                                                  gdr["gdr"], gdr["status"])
    assert Decimal(row["gdr"]) == round(Decimal(row["generic_claims"]) / Decimal(row["claims"]), 4)


@pytest.mark.parametrize("variant", RUNS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v))
def test_the_run_summary_names_the_client_states_status_beside_readiness_and_splits_the_total_owed(variant):
    context = dashboard_context(**variant)
    [row] = by_name(context)["run_summary"].rows
    assert (row["client_name"], row["pbm_name"], row["readiness"]) == (NAMES.client, NAMES.pbm, context.readiness)
    audit = [f for f in context.formulas if f["id"] != "repricing_savings"]
    final = sum(f["status"] == "final" for f in audit)
    assert row["status_line"].startswith(f"{final} of {len(audit)} final")
    for f in audit:
        if f["status"] != "final":
            assert all(reason_sentence(r) in row["status_line"] for r in f["reasons"])
    guarantees = [f for f in context.formulas if f["id"] in ("awp_discount_guarantee", "dispensing_fee_guarantee",
                                                             "rebate_guarantee")]
    owed = {s: sum((Decimal(f["shortfall"]) for f in guarantees if f["status"] == s and f["shortfall"] is not None),
                   Decimal("0.00")) for s in ("final", "modeled")}
    assert (Decimal(row["total_owed_final"]), Decimal(row["total_owed_modeled"])) == (owed["final"], owed["modeled"])
    assert Decimal(row["total_owed"]) == owed["final"] + owed["modeled"]
    assert row["blocked_guarantees"] == ";".join(f["id"] for f in guarantees if f["status"] == "blocked")
    assert row["sign_convention"] == SIGN_CONVENTION


def test_the_status_table_shows_titles_and_reason_sentences_beside_the_codes():
    context = dashboard_context(client_id="C006", rebates=False, proposal=False)
    rows = by_name(context)["readiness"].rows
    [summary] = by_name(context)["run_summary"].rows
    rebate = next(r for r in rows if r["formula_id"] == "rebate_guarantee")
    assert (rebate["status"], rebate["reasons"]) == ("blocked", "rebate_evidence_missing")
    assert rebate["reason_sentences"] == reason_sentence("rebate_evidence_missing") != "rebate_evidence_missing"
    assert [r["formula_title"] for r in rows] == [formula_title(f["id"]) for f in context.formulas]
    assert {r["status_line"] for r in rows} == {summary["status_line"]} and "rebate blocked" in summary["status_line"]
    assert {r["readiness"] for r in rows} == {"blocked"}


@pytest.mark.parametrize("variant", RUNS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v))
def test_the_netting_rows_re_derive_each_shortfall_from_the_buckets(variant):
    context = dashboard_context(**variant)
    tables = by_name(context)
    totals = {r["formula_id"]: r for r in tables["formula_totals"].rows}
    for formula_id in ("awp_discount_guarantee", "dispensing_fee_guarantee"):
        formula = context.formula(formula_id)
        groups = [r for r in tables["offset_groups"].rows if r["formula_id"] == formula_id]
        if formula["status"] == "blocked":
            assert groups == [] and totals[formula_id]["shortfall"] is None
            continue
        assert {r["offset_rule"] for r in groups} == {f"{OFFSET_RULES[formula['offset']]} {FLOOR_RULE}"}
        variances: dict[str, Decimal] = {}
        for bucket in tables[formula_id].rows:
            group = group_of(formula["offset"], bucket["channel"], bucket["brand_generic"])
            variances[group] = variances.get(group, Decimal("0.00")) + Decimal(bucket["variance"])
        assert {r["group"]: Decimal(r["variance"]) for r in groups} == variances
        assert all(Decimal(r["shortfall"]) == max(Decimal("0.00"), Decimal(r["variance"])) for r in groups)
        derived = sum((Decimal(r["shortfall"]) for r in groups), Decimal("0.00"))
        assert derived == Decimal(totals[formula_id]["shortfall"]) == Decimal(formula["shortfall"])


@pytest.mark.parametrize("client_id", ["C001", "C002"])
def test_rebate_totals_show_variance_total_less_received_other_and_name_its_channels(client_id):
    context = dashboard_context(client_id=client_id, lineage={"rebates_received_other": [
        {"channel": "SPECIALTY", "amount": "96000.00"}]})
    tables = by_name(context)
    [row] = tables["rebate_totals"].rows
    assert Decimal(row["variance_total"]) == sum(Decimal(r["variance"]) for r in tables["rebate_guarantee"].rows)
    assert Decimal(row["shortfall"]) == max(Decimal("0.00"), Decimal(row["variance_total"]) - Decimal(row["received_other"]))
    rebate = context.formula("rebate_guarantee")
    assert (row["variance_total"], row["received_other"], row["shortfall"]) == (
        rebate["variance_total"], rebate["received_other"], rebate["shortfall"])
    assert row["received_other_channels"] == "SPECIALTY" and row["offset_rule"] == REBATE_OFFSET_RULE
    unrecorded = replace(context, lineage={k: v for k, v in context.lineage.items() if k != "rebates_received_other"})
    [unnamed] = by_name(unrecorded)["rebate_totals"].rows
    assert unnamed["received_other_channels"] is None                  # a run that did not record them


def test_findings_list_unguaranteed_buckets_with_spend_and_count_suspect_channel_claims():
    context = dashboard_context()
    tables = by_name(context)
    [bucket] = tables["unguaranteed_buckets"].rows
    assert (bucket["finding"], bucket["channel"], bucket["brand_generic"], bucket["claims"], bucket["members"]) == (
        "no_term", UNGUARANTEED.channel, UNGUARANTEED.brand_generic, UNGUARANTEED.claims, UNGUARANTEED.members)
    assert Decimal(bucket["spend"]) == Decimal(bucket["ingredient_cost"]) + Decimal(bucket["dispensing_fees"])
    assert Decimal(bucket["spend"]) == UNGUARANTEED.spend
    [suspect] = tables["suspect_channel"].rows
    assert suspect["claims"] == context.result["data_quality"]["suspect_channel"] > 0


def test_booleans_are_true_and_false_in_every_csv_and_json_booleans_in_the_json_twin():
    tables = suppress_tables(dashboard_tables(dashboard_context()))
    flagged = [t for t in tables if "suppressed" in t.columns]
    assert {t.name for t in flagged} >= {"awp_discount_guarantee", "rebate_guarantee", "offset_groups", "run_summary"}
    seen = set()
    for table in flagged:
        text = to_csv(table).decode()
        assert "True" not in text and "False" not in text
        cells = [row["suppressed"] for row in csv.DictReader(io.StringIO(text))]
        seen |= set(cells)
        assert set(cells) <= {"true", "false"}
        assert {type(r["suppressed"]) for r in json.loads(table_json(table))} <= {bool}
    assert seen == {"true", "false"}                     # the demo run hides some buckets and publishes others
