"""The run's PDF: every published figure as report_format writes it, statuses that cannot be misread, same bytes."""
from __future__ import annotations

import copy
import io
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from pypdf import PdfReader

from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.presentation_rendered import check_rendered
from services.publisher.domain.report_format import HEADLINE, TEXT_FIELDS, count, field_text, money, percent
from services.publisher.domain.report_pdf import pdf_bytes
from services.publisher.domain.run_context import RejectedRow
from tests.publisher_fixtures import sample_context

# Anything a reader could take for a figure: money, a percent, a decimal or a grouped count.
FIGURE = re.compile(r"\$|\d%|\d\.\d|\d,\d{3}")
SUMMARY_FIELDS = ("claims", "generic_claims", "gdr", "received_other", "shortfall", "total_savings")


def pages_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def section(pages: list[str], formula: dict) -> list[str]:
    """The body lines of a formula's pages: from its heading to the next section, header and footer removed.

    A modeled or blocked formula's page ends with its diagonal watermark (drawn last, so extracted last): it must
    be there, and it is dropped, so it can never pass for the label of the figure before it.
    """
    start = next(i for i, page in enumerate(pages) if f"Formula: {formula['id']} (version" in page)
    end = next((i for i in range(start + 1, len(pages))
                if "Formula: " in pages[i] or "Evidence and blocked state" in pages[i]), len(pages))
    body = []
    for page in pages[start:end]:
        lines = lines_of(page)[3:-1]
        if formula["status"] != "final":
            assert lines[-1] == formula["status"].upper(), f"no watermark on a {formula['status']} page"
            lines = lines[:-1]
        body += lines
    return cells(body)


def cells(lines: list[str]) -> list[str]:
    """A narrow cell wraps its MODELED label onto a line of its own: it is still that cell's label."""
    joined: list[str] = []
    for line in lines:
        if line == "MODELED" and joined:
            joined[-1] += " MODELED"
        else:
            joined.append(line)
    return joined


def contains_run(lines: list[str], run: list[str]) -> bool:
    return any(lines[i:i + len(run)] == run for i in range(len(lines) - len(run) + 1))


def rows_of(formula: dict) -> list[list[str]]:
    """Each table row of the formula's page as the report must print it, cell by cell, in the result's order.

    A modeled formula's figures carry the word MODELED in the same cell, so the expected text carries it too.
    """
    label = " MODELED" if formula["status"] == "modeled" else ""
    rows = []
    if "excluded" in formula:
        rows += [list(formula["excluded"]), [count(n) + label for n in formula["excluded"].values()]]
    for bucket in formula.get("buckets", []):
        rows.append([field_text(field, value) + ("" if field in TEXT_FIELDS else label)
                     for field, value in bucket.items()])
    totals = [f for f in SUMMARY_FIELDS if f in formula]
    if totals:
        rows += [totals, [field_text(f, formula[f]) + label for f in totals]]
    return rows


@pytest.fixture(scope="module")
def final():
    context = sample_context()
    return context, pdf_bytes(context)


@pytest.fixture(scope="module")
def modeled():
    context = sample_context(governance="candidate")
    return context, pdf_bytes(context)


@pytest.fixture(scope="module")
def blocked():
    context = sample_context(contract=False)
    return context, pdf_bytes(context)


def test_formatting_is_exact_and_from_the_decimal():
    assert money(Decimal("12981.60")) == "$12,981.60"
    assert money(Decimal("-1019.50")) == "-$1,019.50"
    assert money(Decimal("-0.00")) == "$0.00"  # zero is never signed
    assert money(Decimal("1234567890123456.78")) == "$1,234,567,890,123,456.78"  # beyond a float's 15-16 digits
    assert percent(Decimal("0.1832")) == "18.32%" and percent(Decimal("0.0500")) == "5.00%"
    assert count(1419) == "1,419"
    assert field_text("actual_discount", None) == "n/a" and field_text("channel", "MAIL") == "MAIL"
    with pytest.raises(ValueError):
        money(Decimal("1.005"))  # more places than money has: a formula skipped its rounding, never hidden here
    with pytest.raises(ValueError):
        percent(Decimal("0.18325"))


def test_every_published_figure_appears_row_by_row_as_report_format_writes_it(final):
    context, pdf = final
    pages = pages_of(pdf)
    assert all(f["status"] != "blocked" for f in context.formulas)
    for formula in context.formulas:
        lines = section(pages, formula)
        for row in rows_of(formula):
            assert contains_run(lines, row), f"{formula['id']}: row {row} not printed as one run of cells"
    text = "\n".join(pages)
    assert "$3,015.72" in text and "-$1,019.50" in text and "18.32%" in text and "1,419" in text


def test_data_quality_shows_the_scope_counts_and_never_the_whole_input_rejects(final):
    context, pdf = final
    quality = context.result["data_quality"]
    page = next(lines_of(p) for p in pages_of(pdf) if "Data quality of the scope" in p)
    names = ["rejected_in_scope", "rows_out_of_scope", "reversed_pairs", "orphan_reversals", "suspect_channel"]
    assert contains_run(page, names + [count(quality[n]) for n in names])
    assert quality["rejected_rows"] and not context.rejected_in_scope  # other rows were rejected, none in scope
    text = "\n".join(pages_of(pdf))
    assert "bad_value:" not in text and "duplicate_claim_id" not in text and "rows_rejected" not in text


def test_every_page_names_the_run_and_its_scope_and_counts_pages(final):
    context, pdf = final
    pages = pages_of(pdf)
    assert len(pages) >= 8
    for number, page in enumerate(pages, start=1):
        assert context.run_id in page and context.scope_hash in page
        assert f"Page {number} of {len(pages)}" in page


def test_cover_summary_evidence_and_lineage(final):
    context, pdf = final
    pages = pages_of(pdf)
    cover = lines_of(pages[0])
    assert "Readiness: MODELED" in cover and context.readiness == "modeled"
    assert contains_run(cover, ["period", "2025-01-01 to 2025-12-31"])
    assert contains_run(cover, ["created_at", context.lineage["created_at"]])
    summary = lines_of(pages[1])
    for formula in context.formulas:
        field = HEADLINE[formula["id"]]
        figure = field_text(field, formula[field])
        label = [figure + " MODELED"] if formula["status"] == "modeled" else [figure]
        assert contains_run(summary, [formula["id"], "1", formula["status"].upper(),
                                      ", ".join(formula["reasons"]) or "none", field, *label])
    text = "\n".join(pages)
    for ref in context.evidence:
        assert ref["evidence_id"] in text and ref["kind"] in text and ref["sha256"] in text
    for value in (context.lineage["trace_id"], context.result["inputs"]["claims_sha256"], "itr_request_id"):
        assert value in text


def test_a_partial_scope_names_its_tpa_and_groups_on_the_cover(final):
    context, _ = final
    result = copy.deepcopy(context.result)
    result["scope"].update(tpa_id="TPA_9", group_ids=["G01", "G02"])
    cover = lines_of(pages_of(pdf_bytes(replace(context, result=result)))[0])
    assert contains_run(cover, ["tpa_id", "TPA_9", "group_ids", "G01, G02"])
    assert any("(partial scope)" in line for line in cover)


def test_modeled_figures_carry_the_label_beside_every_number(modeled):
    context, pdf = modeled
    pages = pages_of(pdf)
    modeled_ids = [f["id"] for f in context.formulas if f["status"] == "modeled"]
    assert {"awp_discount_guarantee", "dispensing_fee_guarantee", "rebate_guarantee"} <= set(modeled_ids)
    for formula_id in modeled_ids:
        lines = section(pages, context.formula(formula_id))
        figures = [line for line in lines if re.fullmatch(r"-?\$?[\d,]+(\.\d+)?%?( MODELED)?", line)]
        assert len(figures) > 5
        assert all(line.endswith(" MODELED") for line in figures), formula_id
        assert lines[0].endswith("MODELED")  # the heading says it before any figure
    charts = lines_of(next(p for p in pages if "Charts" in p))
    assert "Actual vs guaranteed AWP discount by bucket - MODELED, not final" in charts
    gdr = context.formula("generic_dispensing_rate")
    assert gdr["status"] == "final" and f"Generic dispensing rate {percent(Decimal(gdr['gdr']))}" in charts
    assert not any(line.endswith("MODELED") for line in section(pages, context.formula("generic_dispensing_rate"))[1:])


def test_a_blocked_formula_shows_its_reasons_and_no_figure(blocked):
    context, pdf = blocked
    pages = pages_of(pdf)
    for formula_id in ("awp_discount_guarantee", "dispensing_fee_guarantee"):
        lines = section(pages, context.formula(formula_id))
        assert "BLOCKED" in lines[0] and any(line.startswith("contract_evidence_missing:") for line in lines)
        assert "Missing evidence" in lines and "a contract_packet for the scope" in lines
        assert not [line for line in lines if FIGURE.search(line) or re.fullmatch(r"[\d,.]+", line)], formula_id
    assert "0.00" not in "\n".join(section(pages, context.formula("awp_discount_guarantee")))
    summary = lines_of(pages[1])
    assert contains_run(summary, ["awp_discount_guarantee", "1", "BLOCKED", "contract_evidence_missing", "shortfall",
                                  "no figure: blocked"])
    charts = "\n".join(next(p for p in pages if "Charts" in p).splitlines())
    assert "No chart is drawn" in charts


def test_a_blocked_formula_hides_even_the_aggregates_it_keeps(final):
    """contract_period_gap keeps claims and awp in the result (calculations.md 4); the report still shows none."""
    context, _ = final
    result = copy.deepcopy(context.result)
    awp = result["formulas"][0]
    awp.update(status="blocked", reasons=["contract_period_gap"], shortfall=None)
    for bucket in awp["buckets"]:
        bucket.update(guaranteed_discount=None, guaranteed_cost=None, variance=None)
    pages = pages_of(pdf_bytes(replace(context, result=result)))
    lines = section(pages, awp)
    assert not [line for line in lines if FIGURE.search(line)]
    text = "\n".join(pages)
    for bucket in awp["buckets"]:
        assert field_text("awp", bucket["awp"]) not in text and field_text("actual_discount",
                                                                            bucket["actual_discount"]) not in text


def test_same_context_same_bytes_with_the_runs_own_dates_and_names(final, monkeypatch):
    context, pdf = final
    assert pdf_bytes(context) == pdf
    # ReportLab reads the build clock from SOURCE_DATE_EPOCH; the report must not depend on the machine that built it.
    for name, value in (("SOURCE_DATE_EPOCH", "12345"), ("TZ", "Asia/Tokyo"), ("USER", "someone-else")):
        monkeypatch.setenv(name, value)
    assert pdf_bytes(context) == pdf
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    assert metadata["/CreationDate"] == metadata["/ModDate"] == "D:20261102093000+00'00'"
    assert metadata["/Author"] == "LeafEnterprise publisher" and context.run_id in metadata["/Subject"]
    assert metadata["/Title"].startswith("Pharmacy benefit audit C001 / PBM_A")


@pytest.mark.parametrize("variant", ["final", "modeled", "blocked"])
def test_the_presentation_contract_finds_nothing(variant, request):
    _, pdf = request.getfixturevalue(variant)
    assert rendered_violations(pdf) == []
    # The scanner reads text and metadata; the raw bytes must not carry a font file or any local path either.
    for leak in (b"/work/", b"/home/", b"/tmp/", b"site-packages", b".ttf", b".afm", b"FontFile", b"member_id"):
        assert leak not in pdf, leak


def test_rejected_rows_of_the_scope_are_listed_and_pass_the_contract(final):
    """A reason code naming a PHI column is about the input's shape: listed, and not a presentation violation."""
    context, _ = final
    result = copy.deepcopy(context.result)
    result["data_quality"]["rejected_in_scope"] = 2
    rejects = (RejectedRow(12, "bad_value:member_id"), RejectedRow(40, "duplicate_claim_id"))
    pdf = pdf_bytes(replace(context, result=result, rejected_in_scope=rejects))
    page = next(lines_of(p) for p in pages_of(pdf) if "Data quality of the scope" in p)
    assert "row 12: bad_value:member_id, row 40: duplicate_claim_id" in page
    assert rendered_violations(pdf) == []


def rendered_violations(pdf: bytes) -> list:
    """The contract's final look at a PDF: its metadata and its text, extracted once."""
    check = ContractCheck()
    check_rendered(check, "report.pdf", "application/pdf", pdf)
    return check.violations
