"""The workbook as a CFO's analyst reconciles it (issue #12, items 3 and 4), read back with openpyxl.

For a final (C001), a modeled (C002: rejects and orphan reversals in scope, $96,000 of specialty rebates) and a
blocked (C001 without rebate evidence, as C006) run: every guarantee's shortfall is re-derived from the sheet's
own netting table and bucket cells, the rebate line from its reconciliation cells, the total owed from the
Summary; every Excel check formula is evaluated from the cells it names and equals the published figure.
"""
from __future__ import annotations

import dataclasses
import functools
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from kernel.sufficiency import AWP, FEE, REBATE
from kernel.words import EXCLUSION_SENTENCES, OFFSET_RULES, SUSPECT_CHANNEL, UNGUARANTEED_BUCKET
from services.publisher.adapters.workbook.workbook import workbook_bytes, write_workbook
from services.publisher.domain.claim_findings import BucketSpend, ClaimFindings, SuspectClaim
from services.publisher.domain.narrative import Narrative
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import Names
from services.publisher.domain.workbook_sheets import sheet_name
from tests.publisher_fixtures import sample_context
from tests.unit.publisher.workbook_reading import (
    assert_banner_on_every_sheet,
    assert_check,
    assert_netting_reconciles,
    assert_owed_reconciles,
    assert_rebate_reconciles,
    assert_status_stated,
    labelled,
    money,
    rows_from,
)

RUNS: dict[str, dict[str, Any]] = {"final": {}, "modeled": {"client_id": "C002"}, "blocked": {"rebates": False}}


@functools.cache
def built(run: str):
    """The run's context without its claim rows (this file is about the other sheets) and its workbook read back."""
    context = dataclasses.replace(sample_context(**RUNS[run]), claims=lambda: iter(()))
    return context, load_workbook(io.BytesIO(workbook_bytes(context)))


def changed(run: str, **changes):
    """The run with some of its context replaced (names, findings, lineage, narrative), and its workbook."""
    context = dataclasses.replace(built(run)[0], **changes)
    return context, load_workbook(io.BytesIO(workbook_bytes(context)))


@pytest.fixture(params=list(RUNS))
def run(request):
    return built(request.param)


def test_each_guarantee_shortfall_is_the_sum_of_its_netting_table(run):
    context, book = run
    shown = [f for f in context.formulas if f["id"] in (AWP, FEE) and f["status"] != "blocked"]
    assert len(shown) == 2
    for formula in shown:
        assert_netting_reconciles(book, formula)
        rule = labelled(book[sheet_name(formula["id"])], "how the variances net")[1].value
        assert rule == OFFSET_RULES[formula["offset"]]


def test_the_rebate_line_is_variance_total_less_received_other(run):
    context, book = run
    assert_rebate_reconciles(book, context.formula(REBATE))


def test_received_other_is_named_by_the_channels_the_lineage_records():
    context, _ = built("modeled")
    assert Decimal(context.formula(REBATE)["received_other"]) == Decimal("96000.00")
    unrecorded = {k: v for k, v in context.lineage.items() if k != "rebates_received_other"}
    _, book = changed("modeled", lineage=unrecorded)
    unnamed = labelled(book[sheet_name(REBATE)], "received_other")[3].value
    assert "does not name them" in unnamed    # a run recorded before the channels were: said, not hidden
    lineage = {**context.lineage, "rebates_received_other": [{"channel": "SPECIALTY", "amount": "96000.00"}]}
    _, book = changed("modeled", lineage=lineage)
    sheet = book[sheet_name(REBATE)]
    received_other = labelled(sheet, "received_other")
    assert received_other[3].value.endswith("channels with no rebate guarantee: SPECIALTY $96,000.00")
    by_channel = rows_from(sheet, "channel", after="received_other by channel")
    assert [(r["channel"].value, money(r["received_other"])) for r in by_channel] == [("SPECIALTY", Decimal("96000"))]
    assert_check(sheet, received_other[2], Decimal("96000.00"))


def test_total_owed_is_final_plus_modeled_and_names_the_blocked(run):
    context, book = run
    assert_owed_reconciles(book, context.result)


def test_summary_states_each_formulas_status_beside_readiness(run):
    context, book = run
    assert_status_stated(book, context.result)


def test_every_sheet_of_a_non_final_run_carries_its_banner(run):
    context, book = run
    assert_banner_on_every_sheet(book, context.result)


def test_a_modeled_run_says_modeled_on_every_sheet():
    context, book = built("modeled")
    assert context.readiness == "modeled"
    for sheet in book.worksheets:
        assert sheet["A3"].value.startswith("MODELED, not final guarantee claims — "), sheet.title


def test_names_stand_beside_the_ids():
    names = Names(client="Acme Manufacturing", pbm="Pharmacy Benefit Co A")
    _, book = changed("final", names=names)
    sheet = book["Summary"]
    assert labelled(sheet, "client")[1].value == "Acme Manufacturing (C001)"
    assert labelled(sheet, "PBM")[1].value == "Pharmacy Benefit Co A (PBM_A)"
    assert labelled(sheet, "audit period")[1].value == "2025-01-01 to 2025-12-31"


FINDINGS = ClaimFindings(
    unguaranteed=(BucketSpend("SPECIALTY", "G", 56, 31, Decimal("48210.33"), Decimal("70.00")),),
    suspect_channel=(SuspectClaim(412, "CLM0000412", date(2025, 3, 4), "00093505698", "ATORVASTATIN 20MG", 90,
                                  Decimal("90.000"), Decimal("12.40"), Decimal("1.25")),),
    suspect_channel_count=1)


def test_findings_list_unguaranteed_buckets_and_suspect_claims_with_their_words():
    _, book = changed("final", findings=FINDINGS)
    sheet = book["Findings"]
    texts = {c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert {UNGUARANTEED_BUCKET, SUSPECT_CHANNEL} <= texts
    [bucket] = rows_from(sheet, "bucket")
    assert (bucket["bucket"].value, bucket["claims"].value, money(bucket["spend"])) == (
        "Specialty generic", 56, Decimal("48280.33"))
    [claim] = rows_from(sheet, "row")
    assert (claim["row"].value, claim["claim_id"].value, claim["ndc"].value, claim["days_supply"].value) == (
        412, "CLM0000412", "00093505698", 90)
    excluded = {r["reason"].value: r for r in rows_from(sheet, "reason")}
    assert set(excluded) == set(EXCLUSION_SENTENCES)
    assert all(excluded[code]["why"].value == sentence for code, sentence in EXCLUSION_SENTENCES.items())
    summary = {c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)}
    assert "1 unguaranteed bucket (56 claims, $48,280.33 spend) and 2 suspect-channel claims; see the Findings sheet" \
        in summary


def test_the_contract_passes_with_names_findings_and_narrative_in():
    """Drug names, claim ids and the narrative are text cells too: each is checked as it is written."""
    context = dataclasses.replace(built("final")[0], names=Names(client="Acme Manufacturing"), findings=FINDINGS,
                                  narrative=Narrative("C001 owes $3,049.35.", "template", None, None, None))
    check = ContractCheck()
    write_workbook(context, io.BytesIO(), check=check)
    assert check.violations == []
    leaky = dataclasses.replace(context, narrative=Narrative("Ask member_id M12345678.", "template", None, None, None))
    check = ContractCheck()
    write_workbook(leaky, io.BytesIO(), check=check)
    assert {v.rule for v in check.violations} == {"phi_field", "member_id_value"}
    assert all(v.where.startswith("Summary!B") for v in check.violations)


def test_the_narrative_is_on_the_summary_with_its_label():
    drafted = Narrative("C001 owes $3,049.35.\n\nRebates met the guarantee.", "model", "gpt-4o-mini", "f" * 64, None)
    _, book = changed("final", narrative=drafted)
    texts = [c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert "C001 owes $3,049.35." in texts and "Rebates met the guarantee." in texts
    assert any(t.startswith("Drafted by AI (gpt-4o-mini)") for t in texts)
