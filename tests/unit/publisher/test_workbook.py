"""The run workbook, read back with openpyxl: every figure, status and id equals the run's own result, exactly."""
from __future__ import annotations

import dataclasses
import functools
import io
import itertools
import os
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kernel.words import EXCLUSION_SENTENCES, formula_title, reason_sentence
from services.publisher.adapters.presentation_rendered import check_rendered
from services.publisher.adapters.workbook.workbook import workbook_bytes, write_workbook
from services.publisher.domain.deliverable_files import XLSX
from services.publisher.domain.extract import EXTRACT_COLUMNS
from services.publisher.domain.extract_plan import ExtractPlan
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.run_context import RejectedRow
from services.publisher.domain.workbook_sheets import sheet_name
from tests.publisher_fixtures import sample_context

REPO = Path(__file__).parents[3]
MODELED = "MODELED — not a final guarantee claim"
PROJECTION = "PROJECTION — what the proposal's terms would have cost over the same claims; it is never evidence " \
    "and changes neither readiness nor what is owed."
RATIOS = {"actual_discount", "guaranteed_discount", "gdr"}
HEADLINES = {"awp_discount_guarantee": "shortfall", "dispensing_fee_guarantee": "shortfall",
             "rebate_guarantee": "shortfall", "generic_dispensing_rate": "gdr", "repricing_savings": "total_savings"}
VARIANTS: dict[str, dict[str, Any]] = {"final": {}, "modeled": {"governance": "candidate"}, "blocked": {"contract": False}}


@functools.cache
def built(variant: str):
    """Each variant's context, workbook bytes and the workbook read back, built once for the module."""
    context = sample_context(**VARIANTS[variant])
    data = workbook_bytes(context)
    return context, data, load_workbook(io.BytesIO(data))


@pytest.fixture(params=list(VARIANTS))
def variant(request) -> str:
    return request.param


@pytest.fixture
def context(variant):
    return built(variant)[0]


@pytest.fixture
def book(variant):
    return built(variant)[2]


def read(context, **options):
    out = io.BytesIO()
    write_workbook(context, out, **options)
    return load_workbook(io.BytesIO(out.getvalue()))


def few_claims(context, n: int = 5):
    """The context with only its first n extract rows: for tests about the other sheets, a faster workbook."""
    rows = list(itertools.islice(context.claims(), n))
    return dataclasses.replace(context, claims=lambda: iter(rows))


def row_of(sheet, label, start=1) -> int:
    """The first row at or after `start` whose column A reads `label`."""
    return next(r for r in range(start, sheet.max_row + 1) if sheet.cell(r, 1).value == label)


def table(sheet, first_header: str, start=1) -> list[dict]:
    """The table whose header row starts with `first_header`: header → cell, one dict per row, up to a blank row."""
    top = row_of(sheet, first_header, start)
    headers = [c.value for c in sheet[top] if c.value is not None]
    rows: list[dict] = []
    for r in range(top + 1, sheet.max_row + 2):
        cells = [sheet.cell(r, c) for c in range(1, len(headers) + 1)]
        if all(c.value is None for c in cells):
            return rows
        rows.append(dict(zip(headers, cells)))
    return rows


def assert_value(cell, field: str, expected) -> None:
    """Exactly the result's value: decimals compared as Decimal(str(cell)), money in currency, ratios in percent."""
    if expected is None:
        assert cell.value is None, (field, cell.coordinate)
    elif isinstance(expected, bool) or not isinstance(expected, (int, str)):
        raise AssertionError(f"unexpected type in result: {field}={expected!r}")
    elif isinstance(expected, int):
        assert type(cell.value) is int and cell.value == expected, (field, cell.coordinate, cell.value)
        assert cell.number_format in ("#,##0", "0"), (field, cell.number_format)
    elif field in RATIOS:
        assert Decimal(str(cell.value)) == Decimal(expected), (field, cell.coordinate, cell.value, expected)
        assert cell.number_format == "0.00%", (field, cell.number_format)
    elif _is_decimal(expected):
        assert isinstance(cell.value, (int, float)), (field, cell.coordinate, cell.value)
        assert Decimal(str(cell.value)) == Decimal(expected), (field, cell.coordinate, cell.value, expected)
        assert "$" in cell.number_format and "#,##0.00" in cell.number_format, (field, cell.number_format)
    else:
        assert cell.value == expected, (field, cell.coordinate, cell.value, expected)


def _is_decimal(text: str) -> bool:
    return text.lstrip("-").replace(".", "", 1).isdigit()


def numeric_cells(sheet) -> list[str]:
    return [c.coordinate for row in sheet.iter_rows() for c in row if isinstance(c.value, (int, float))]


def test_sheets_in_order_each_opening_with_run_id_and_scope_hash(context, book):
    assert book.sheetnames == ["Summary", *(formula_title(f["id"]) for f in context.formulas), "Findings", "Evidence",
                               "Data quality", "Lineage", "Extract"]
    for sheet in book.worksheets:
        assert [sheet["A1"].value, sheet["B1"].value] == ["run_id", context.run_id], sheet.title
        assert [sheet["A2"].value, sheet["B2"].value] == ["scope_hash", context.scope_hash], sheet.title
        assert (sheet["A3"].value or "").startswith(context.readiness.upper() if context.readiness != "final"
                                                    else ""), sheet.title
        assert sheet.freeze_panes is not None, sheet.title


def reasons_words(formula: dict) -> str:
    return "; ".join(reason_sentence(r) for r in formula["reasons"]) or "none: the evidence is sufficient for a final figure"


def test_summary_shows_scope_readiness_and_each_formula_headline(context, book):
    sheet = book["Summary"]
    facts = {sheet.cell(r, 1).value: sheet.cell(r, 2).value for r in range(4, row_of(sheet, "readiness") + 1)}
    scope = context.scope
    assert facts == {"client": scope["client_id"], "PBM": scope["pbm_id"], "TPA": "all", "groups": "all",
                     "audit period": f"{scope['date_from']} to {scope['date_to']}", "readiness": context.readiness}
    rows = table(sheet, "formula")
    assert [r["formula"].value for r in rows] == [formula_title(f["id"]) for f in context.formulas]
    assert [r["code"].value for r in rows] == [f"{f['id']}@{f['version']}" for f in context.formulas]
    for row, formula in zip(rows, context.formulas):
        assert row["status"].value == formula["status"]
        assert row["why"].value == reasons_words(formula)
        if formula["status"] == "blocked":
            assert row["value"].value is None and row["note"].value.startswith("BLOCKED")
        else:
            assert_value(row["value"], HEADLINES[formula["id"]], formula[HEADLINES[formula["id"]]])
            expected = (PROJECTION if formula["id"] == "repricing_savings" else
                        MODELED if formula["status"] == "modeled" else None)
            assert row["note"].value == expected


def test_formula_sheets_hold_every_bucket_total_and_excluded_count_exactly(context, book):
    for formula in context.formulas:
        sheet = book[sheet_name(formula["id"])]
        assert (sheet["A4"].value, sheet["A5"].value) == (formula_title(formula["id"]), f"{formula['id']}@{formula['version']}")
        assert sheet["B6"].value == formula["status"]
        assert sheet["B7"].value == reasons_words(formula)
        assert (sheet["B8"].value or "") == "; ".join(formula["reasons"])   # the codes, in small print
        if formula["status"] == "blocked":
            continue
        if formula.get("buckets"):
            rows = table(sheet, "channel")
            assert len(rows) == len(formula["buckets"])
            for row, bucket in zip(rows, formula["buckets"]):
                assert set(bucket) <= set(row)
                for field, expected in bucket.items():
                    assert_value(row[field], field, expected)
        for field in ("shortfall", "variance_total", "received_other", "claims", "generic_claims", "gdr",
                      "total_savings"):
            if field in formula and not (field == "claims" and formula.get("buckets")):
                assert_value(shown_total(sheet, field), field, formula[field])
        if "excluded" in formula:
            excluded = {r["excluded"].value: r for r in table(sheet, "excluded")}
            assert set(excluded) == set(formula["excluded"])
            for reason, count in formula["excluded"].items():
                assert_value(excluded[reason]["claims"], reason, count)
                assert excluded[reason]["why"].value == EXCLUSION_SENTENCES[reason]
        if "unpriced_buckets" in formula:
            unpriced = table(sheet, "channel", row_of(sheet, "unpriced_buckets"))
            assert [{k: c.value for k, c in r.items()} for r in unpriced] == formula["unpriced_buckets"]


def shown_total(sheet, field: str):
    """The published cell of a formula total: the netted shortfall line, or the value beside the field's label."""
    if field == "shortfall" and any(c.value == "shortfall = Σ group shortfalls" for c in sheet["A"]):
        return sheet.cell(row_of(sheet, "shortfall = Σ group shortfalls"), 3)
    return sheet.cell(row_of(sheet, field), 2)


def test_a_blocked_formula_shows_its_reasons_and_no_number():
    context, _, book = built("blocked")
    blocked = [f for f in context.formulas if f["status"] == "blocked"]
    assert blocked, "the fixture no longer gives a blocked formula"
    for formula in blocked:
        sheet = book[sheet_name(formula["id"])]
        assert numeric_cells(sheet) == []
        assert sheet["A9"].value.startswith("BLOCKED") and sheet["B7"].value == reasons_words(formula)


def test_a_blocked_formula_shows_no_number_whatever_figures_its_result_carries():
    """calculations.md 4: a blocked formula keeps its aggregates; the workbook shows none of them, and fails closed
    even on a result that left a guarantee figure in (here the untouched shortfall and variances)."""
    context = few_claims(built("final")[0])
    awp = context.formula("awp_discount_guarantee")
    blocked = {**awp, "status": "blocked", "reasons": ["contract_period_gap"]}
    result = {**context.result, "readiness": "blocked",
              "formulas": [blocked if f is awp else f for f in context.formulas]}
    book = read(dataclasses.replace(context, result=result))
    assert numeric_cells(book[sheet_name("awp_discount_guarantee")]) == []
    summary = table(book["Summary"], "formula")[0]
    assert summary["status"].value == "blocked" and summary["value"].value is None
    assert summary["note"].value.startswith("BLOCKED")
    missing = table(book["Evidence"], "formula_id")
    assert [(r["formula_id"].value, r["blocked_reason"].value) for r in missing] == [
        ("awp_discount_guarantee", "contract_period_gap")]


def test_a_modeled_formula_is_labelled_wherever_its_figures_are():
    context, _, book = built("modeled")
    modeled = [f for f in context.formulas if f["status"] == "modeled"]
    assert {f["id"] for f in modeled} >= {"awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee"}
    for formula in modeled:
        sheet = book[sheet_name(formula["id"])]
        assert sheet["A9"].value == (PROJECTION if formula["id"] == "repricing_savings" else MODELED)
        assert numeric_cells(sheet), "a modeled formula still shows its figures"


def test_evidence_lists_each_reference_with_the_formulas_it_supports(context, book):
    sheet = book["Evidence"]
    refs = table(sheet, "evidence_id")
    assert len(refs) == len(context.evidence)
    present = {f["id"] for f in context.formulas}
    supports = {"contract_packet": {"awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee"},
                "rebate_evidence": {"rebate_guarantee"}}
    for row, ref in zip(refs, context.evidence):
        for field in ("evidence_id", "kind", "governance", "version", "sha256"):
            assert_value(row[field], field, ref[field])
        assert set(row["supports"].value.split("; ")) == supports[ref["kind"]] & present
    missing = [(r["formula_id"].value, r["blocked_reason"].value, r["needed"].value)
               for r in table(sheet, "formula_id")]
    expected = [(f["id"], r) for f in context.formulas for r in f["reasons"] if r.endswith("_missing")]
    assert [m[:2] for m in missing] == expected
    assert all(m[2].startswith("contract_packet") for m in missing)


def test_data_quality_shows_only_what_concerns_the_scope():
    context = few_claims(built("final")[0])
    quality = context.result["data_quality"]
    assert quality["rows_rejected"] > 0 and context.rejected_in_scope == ()  # the sample's rejects are elsewhere
    rejects = (RejectedRow(7, "bad_value:ndc"), RejectedRow(19, "bad_value:member_id"),
               RejectedRow(1204, "duplicate_claim_id"))
    result = {**context.result, "data_quality": {**quality, "rejected_in_scope": len(rejects)}}
    with_rejects = dataclasses.replace(context, result=result, rejected_in_scope=rejects)
    for case, rows in ((context, ()), (with_rejects, rejects)):
        sheet = read(case)["Data quality"]
        counts = {r["measure"].value: r["rows"] for r in table(sheet, "measure")}
        expected = {k: case.result["data_quality"][k] for k in
                    ("rejected_in_scope", "rows_out_of_scope", "reversed_pairs", "orphan_reversals", "suspect_channel")}
        assert set(counts) == set(expected)
        for measure, count in expected.items():
            assert_value(counts[measure], measure, count)
        shown = [(r["row"].value, r["reason"].value) for r in table(sheet, "row")]
        assert shown == [(r.row, r.reason) for r in rows]
        assert "rows_read" not in counts and "rejects_by_reason" not in counts
        assert contract_violations(case) == []


def test_lineage_names_everything_needed_to_replay_the_run(context, book):
    sheet = book["Lineage"]
    fields = {r["field"].value: r["value"].value or "" for r in table(sheet, "field")}
    lineage = context.lineage
    for key in ("run_id", "scope_hash", "registry_version", "trace_id", "itr_request_id", "claims_snapshot_id",
                "created_at"):
        assert fields[key] == str(lineage[key]), key
    assert fields["claims_sha256"] == lineage["input_hashes"]["claims_sha256"]
    versions = [(r["formula_id"].value, r["version"].value) for r in table(sheet, "formula_id")]
    assert versions == [(f["formula_id"], f["version"]) for f in lineage["formulas"]]


def extract_rows(book) -> list[list]:
    rows = []
    for name in [n for n in book.sheetnames if n.startswith("Extract")]:
        sheet = book[name]
        assert [c.value for c in sheet[4]] == list(EXTRACT_COLUMNS)
        rows += [[c.value for c in row] for row in sheet.iter_rows(min_row=5)]
    return rows


def expected_cell(value):
    """A bool is an Excel TRUE/FALSE cell, a date a date cell, the rest as it is."""
    return datetime.combine(value, datetime.min.time()) if isinstance(value, date) else value


def assert_extract_equal(shown: list[list], claims: list) -> None:
    assert len(shown) == len(claims)
    for cells, claim in zip(shown, claims):
        for field, cell, value in zip(EXTRACT_COLUMNS, cells, dataclasses.astuple(claim)):
            if isinstance(value, Decimal):
                assert isinstance(cell, (int, float)) and Decimal(str(cell)) == value, (field, cell, value)
            else:
                assert cell == expected_cell(value) and type(cell) is type(expected_cell(value)), (field, cell, value)


def test_extract_sheet_equals_the_extract_rows():
    context, _, book = built("final")
    assert_extract_equal(extract_rows(book), list(context.claims()))
    sheet = book["Extract"]
    last = get_column_letter(len(EXTRACT_COLUMNS))
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == f"A4:{last}{sheet.max_row}"
    first = sheet[5]
    formats = {f: c.number_format for f, c in zip(EXTRACT_COLUMNS, first)}
    assert formats["fill_date"] == "yyyy-mm-dd" and "$" in formats["ingredient_cost_paid"]
    assert any(isinstance(c.value, str) and c.value.startswith("0") for c in sheet["H"][4:]), "ndc keeps zeros"


def test_extract_continues_on_further_sheets_without_an_empty_one():
    context = few_claims(built("final")[0], 25)
    claims = list(context.claims())
    book = read(context, extract_rows_per_sheet=10)
    assert [n for n in book.sheetnames if n.startswith("Extract")] == ["Extract", "Extract 2", "Extract 3"]
    assert_extract_equal(extract_rows(book), claims)
    exact_fit = read(context, extract_rows_per_sheet=len(claims))
    assert [n for n in exact_fit.sheetnames if n.startswith("Extract")] == ["Extract"]


def test_numbers_are_stored_with_exactly_the_results_digits():
    """The XML holds `824021.07`, never a float's `824021.0699999999` (which openpyxl might read back as equal)."""
    _, data, _ = built("final")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        texts = [re.findall(r"<v>([^<]*)</v>", archive.read(name).decode())
                 for name in archive.namelist() if name.startswith("xl/worksheets/")]
    numbers = [Decimal(t) for sheet in texts for t in sheet]
    assert len(numbers) > 10_000
    too_long = [n for n in numbers if -n.as_tuple().exponent > 5]  # money 2, ratios 4, unit prices 5 places
    assert too_long == []


def test_text_that_looks_like_a_formula_stays_text():
    context = built("final")[0]
    row = dataclasses.replace(next(context.claims()), drug_name="=HYPERLINK(\"http://x\",\"y\")")
    sheet = read(dataclasses.replace(context, claims=lambda: iter([row])))["Extract"]
    cell = sheet.cell(5, EXTRACT_COLUMNS.index("drug_name") + 1)
    assert cell.data_type == "s" and cell.value == row.drug_name


def contract_violations(context) -> list:
    """The workbook written as the publisher writes it: every text cell checked as written, then the final look."""
    check, out = ContractCheck(), io.BytesIO()
    write_workbook(context, out, check=check)
    check_rendered(check, "report.xlsx", XLSX, out.getvalue())
    return check.violations


def test_the_presentation_contract_passes(variant):
    assert contract_violations(built(variant)[0]) == []


def test_a_leak_in_a_sheet_is_refused_where_it_is_written():
    context = few_claims(built("final")[0])
    leaky = {**context.lineage, "trace_id": "/home/analyst/trace.txt"}
    violations = contract_violations(dataclasses.replace(context, lineage=leaky))
    assert [(v.rule, v.where) for v in violations] == [("local_path", "Lineage!B8")]


def test_past_the_row_limit_the_extract_sheet_and_summary_say_where_the_rows_are():
    context = few_claims(built("final")[0], 25)
    out = io.BytesIO()
    write_workbook(context, out, extract=ExtractPlan(25, 24, ("extract.csv", "extract.parquet")))
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert [n for n in book.sheetnames if n.startswith("Extract")] == ["Extract"]
    sheet = book["Extract"]
    assert sheet.max_row == 4 and sheet["A4"].value == "extract"
    assert "25 claim rows" in sheet["B4"].value and "extract.csv and extract.parquet" in sheet["B4"].value
    summary = [c.value for row in book["Summary"].iter_rows() for c in row if isinstance(c.value, str)]
    assert sheet["B4"].value in summary
    at_limit = io.BytesIO()
    write_workbook(context, at_limit, extract=ExtractPlan(25, 25, ("extract.csv", "extract.parquet")))
    shown = load_workbook(io.BytesIO(at_limit.getvalue()))
    assert_extract_equal(extract_rows(shown), list(context.claims()))
    assert not any("claim rows" in str(c.value) for row in shown["Summary"].iter_rows() for c in row)


def test_same_context_same_bytes_and_the_path_gives_them_too(tmp_path):
    context, first, _ = built("final")
    assert workbook_bytes(context) == first
    write_workbook(context, tmp_path / "report.xlsx")
    assert (tmp_path / "report.xlsx").read_bytes() == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 31, 0, 0, 0)}
    properties = load_workbook(io.BytesIO(first)).properties
    assert properties.created == datetime(2026, 11, 2, 9, 30) and properties.creator == "LeafEnterprise"


def test_same_bytes_in_another_process_time_zone_and_second():
    """Another process, another TZ and a later wall clock (zip times have 2 s resolution) give the same bytes."""
    script = ("import sys, time; time.sleep(2.1); from tests.publisher_fixtures import sample_context; "
              "from services.publisher.adapters.workbook.workbook import workbook_bytes; "
              "sys.stdout.buffer.write(workbook_bytes(sample_context()))")
    env = {**os.environ, "TZ": "Pacific/Chatham"}
    other = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, check=True).stdout
    assert other == built("final")[1]


def test_created_is_the_runs_own_time_in_utc():
    context = few_claims(built("final")[0])
    shifted = dataclasses.replace(context, lineage={**context.lineage, "created_at": "2026-11-02T11:30:00+02:00"})
    assert load_workbook(io.BytesIO(workbook_bytes(shifted))).properties.created == datetime(2026, 11, 2, 9, 30)
