"""The run's PDF as a CFO reads it: each shortfall re-derived from the report's own tables, statuses on the cover, words.

Three demo-like runs: final (C001, with a proposal: repricing never lowers readiness), modeled (C002: rejects and
orphan reversals; specialty rebates received without a guarantee) and blocked (C006: no 2025 rebate evidence,
3 of 4 final). Everything is read back from the PDF's text (pypdf), never from the result it was made from,
except to check that the page agrees with it.
"""
from __future__ import annotations

import copy
import io
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from pypdf import PdfReader

from demo import load_registry
from kernel.sufficiency import AWP, FEE, REBATE
from kernel.words import (
    FLOOR_RULE,
    OFFSET_RULES,
    REBATE_OFFSET_RULE,
    SUSPECT_CHANNEL,
    UNGUARANTEED_BUCKET,
    formula_title,
    reason_sentence,
)
from services.publisher.adapters.pdf.report_pdf import pdf_bytes
from services.publisher.adapters.presentation_rendered import check_rendered
from services.publisher.domain.audit_summary import status_line
from services.publisher.domain.claim_findings import BucketSpend, ClaimFindings, SuspectClaim
from services.publisher.domain.narrative import Narrative
from services.publisher.domain.netting_view import REBATE_LINES
from services.publisher.domain.presentation_contract import ContractCheck
from services.publisher.domain.report_format import count, field_text, money, percent
from services.publisher.domain.run_context import Names, RejectedRow, RunContext
from tests.publisher_fixtures import sample_context
from tests.unit.publisher.pdf_text import (
    FIGURE,
    between,
    body_lines,
    lines_of,
    pages_of,
    reconcile_guarantee,
    reconcile_rebate,
    rows,
    section_start,
)
from tests.unit.publisher.pdf_text import money as parsed

RUNS = {"final": {}, "modeled": {"client_id": "C002"}, "blocked": {"client_id": "C006", "rebates": False}}
SECTION = "{title} — {status}"   # a formula section's heading starts with its title and status
ANY_FIGURE = re.compile(r"\$|\d%|\d,\d{3}|\d\.\d")   # what a reader could take for a figure, inside any line


def demo_names(context: RunContext) -> Names:
    registry, scope = load_registry(), context.scope
    return Names(client=next(c["name"] for c in registry["clients"] if c["client_id"] == scope["client_id"]),
                 pbm=next(p["name"] for p in registry["pbms"] if p["pbm_id"] == scope["pbm_id"]),
                 groups=tuple((g["group_id"], g["name"]) for g in registry["groups"]
                              if g["group_id"] in scope["group_ids"]))


def demo_findings(context: RunContext) -> ClaimFindings:
    """Suspect claims as the run's claims hold them; one unguaranteed bucket with synthetic spend."""
    suspects = tuple(SuspectClaim(r.row, r.claim_id, r.fill_date, r.ndc, r.drug_name, r.days_supply, r.quantity,
                                  r.ingredient_cost_paid, r.dispensing_fee_paid)
                     for r in context.claims() if r.channel == "RETAIL_30" and r.days_supply >= 84)
    specialty = BucketSpend("SPECIALTY", "B", 39, 37, Decimal("320246.55"), Decimal("4.09"))
    return ClaimFindings((specialty,), suspects, len(suspects))


def demo_run(**kwargs) -> RunContext:
    context = sample_context(**kwargs)
    return replace(context, names=demo_names(context), findings=demo_findings(context))


@pytest.fixture(scope="module", params=sorted(RUNS))
def run(request):
    context = demo_run(**RUNS[request.param])
    return request.param, context, pdf_bytes(context)


@pytest.fixture(scope="module")
def final():
    context = demo_run()
    return context, pdf_bytes(context)


def test_each_guarantee_reconciles_from_its_own_netting_table(run):
    """Σ group shortfall = shortfall; each group's shortfall = max(0, its variance) = max(0, Σ its buckets' variances)."""
    name, context, pdf = run
    lines = body_lines(pages_of(pdf))
    text = " ".join(lines)
    cover = lines_of(pages_of(pdf)[0])
    for formula in (context.formula(AWP), context.formula(FEE)):
        assert formula["status"] != "blocked", name
        shortfall = reconcile_guarantee(lines, formula)
        assert shortfall == Decimal(formula["shortfall"])
        # the cover's figure for the guarantee is the one its netting table derives
        measure = cover.index("Shortfall owed", cover.index(formula_title(formula["id"])))
        assert parsed(cover[measure + 1]) == shortfall
        assert OFFSET_RULES[formula["offset"]] in text and FLOOR_RULE in text


def test_the_rebate_line_reconciles_and_names_what_was_received_elsewhere(run):
    """variance_total - received_other = difference; shortfall = the difference floored at zero."""
    name, context, pdf = run
    rebate = context.formula(REBATE)
    lines = body_lines(pages_of(pdf))
    if rebate["status"] == "blocked":
        assert name == "blocked" and not any(line.startswith(REBATE_LINES[0]) for line in lines)
        return
    found = reconcile_rebate(lines, rebate)
    total, other, _, shortfall = (parsed(row.figures[0]) for row in found)
    assert shortfall == Decimal(rebate["shortfall"]) and total == Decimal(rebate["variance_total"])
    assert other == Decimal(rebate["received_other"])
    for received in context.lineage.get("rebates_received_other", ()):
        assert f"Specialty {money(Decimal(received['amount']))}" in found[1].label
    assert REBATE_OFFSET_RULE in " ".join(lines)
    if name == "modeled":
        assert other == Decimal("96000.00") and "(Specialty $96,000.00)" in found[1].label


def test_the_cover_states_each_formulas_status_beside_readiness_and_the_total_owed(run):
    name, context, pdf = run
    cover = lines_of(pages_of(pdf)[0])
    joined = " ".join(cover)
    assert f"Audit readiness: {context.readiness.upper()} — {status_line(context.result)}" in joined
    for formula in context.formulas:
        title = cover.index(formula_title(formula["id"]))
        assert cover[title + 1] == formula["id"]                # the code, in small print under the title
        assert cover[title + 2] == formula["status"].upper()
    if name == "blocked":
        assert "3 of 4 final; rebate blocked: no rebate evidence for the audit period" in joined
        assert "Rebate guarantee (blocked)" in joined and "no figure" in cover
    assert context.client_label in joined and context.pbm_label in joined
    assert "Sign convention used throughout: a positive variance is owed to the plan" in joined
    assert " ".join(pages_of(pdf)).count("Sign convention") == 1   # stated once


def test_the_total_owed_is_split_into_final_and_modeled_and_adds_up(run):
    name, context, pdf = run
    cover = lines_of(pages_of(pdf)[0])
    at = cover.index("Not included (no figure)")
    final, modeled, total = (parsed(line) for line in cover[at + 1:at + 4])
    assert final + modeled == total
    shortfalls = {f["status"]: Decimal(f["shortfall"]) for f in context.formulas if f.get("shortfall") is not None}
    expected = sum((Decimal(f["shortfall"]) for f in context.formulas if f.get("shortfall") is not None),
                   Decimal("0.00"))
    assert total == expected and (modeled == 0) == ("modeled" not in shortfalls)


def test_every_page_of_a_modeled_run_says_modeled_in_its_band(run):
    name, context, pdf = run
    for number, page in enumerate(pages_of(pdf), start=1):
        band = lines_of(page)[2]
        assert band.endswith(f"audit readiness {context.readiness.upper()}"), (number, band)
        assert ("MODELED" in band) == any(f["status"] == "modeled" for f in context.formulas[:4]), (number, band)
        if name == "modeled":
            assert band.startswith("0 of 4 formulas final; MODELED (estimates, not final)")
    if name == "final":
        assert "4 of 4 formulas final - audit readiness FINAL" == band  # the proposal's MODELED never lowers it


def test_words_for_people_with_the_codes_in_small_print(run):
    name, context, pdf = run
    text = "\n".join(pages_of(pdf))
    for formula in context.formulas:
        assert formula_title(formula["id"]) in text
        for reason in formula["reasons"]:
            assert reason_sentence(reason) in text and reason in text
    assert "Retail 30-day brand" in text and "RETAIL_30" not in text and "brand_generic" not in text
    codes = codes_and_sizes(pdf)
    assert {"awp_discount_guarantee", "dispensing_fee_guarantee"} <= {code for code, _ in codes}
    assert all(size <= SMALL_PRINT for _, size in codes), sorted({c for c, size in codes if size > SMALL_PRINT})


SMALL_PRINT = 7.0   # points; the report reads at 7.5 (table cells) to 22 (title)


def codes_and_sizes(pdf: bytes) -> list[tuple[str, float]]:
    """Every snake_case code on every page with the font size it is set in."""
    found: list[tuple[str, float]] = []

    def visit(text, cm, tm, font, size) -> None:
        found.extend((code, size * tm[0] * cm[0]) for code in re.findall(r"[a-z]+(?:_[a-z0-9]+)+", text))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return found


def test_findings_list_unguaranteed_buckets_with_claims_and_spend_and_explain_suspect_channel(run):
    name, context, pdf = run
    lines = body_lines(pages_of(pdf))
    text = " ".join(lines)
    assert UNGUARANTEED_BUCKET in text and SUSPECT_CHANNEL in text
    table = between(lines, "Claims with no contract guarantee", "Retail 30-day claims shaped like 90-day fills")
    specialty = next(row for row in rows(table) if row.labels[-1] == "Specialty brand")
    assert specialty.figures == ["39", "37", "$320,246.55", "$4.09", "$320,250.64"]
    suspects = context.findings.suspect_channel
    assert all(s.claim_id in text for s in suspects) and (name == "modeled" or suspects)
    assert f"This scope has {count(context.result['data_quality']['suspect_channel'])}." in text


def test_a_blocked_formula_shows_its_reasons_what_would_complete_it_and_no_figure():
    context = demo_run(contract=False)
    lines = body_lines(pages_of(pdf_bytes(context)))
    for formula_id in (AWP, FEE):
        start = section_start(lines, context.formula(formula_id))
        section = lines[start:start + 4]
        assert "contract_evidence_missing" in section[1] and reason_sentence("contract_evidence_missing") in section[1]
        assert section[3] == "What would complete it: the executed contract covering the audit period."
        assert not [line for line in section if ANY_FIGURE.search(line)]
    cover = lines_of(pages_of(pdf_bytes(context))[0])
    assert "No amount owed can be stated: every guarantee is blocked (see its section)." in cover


def test_a_blocked_formula_hides_even_the_aggregates_it_keeps(final):
    """contract_period_gap keeps claims and awp in the result (calculations.md 4); the report still shows none."""
    context, _ = final
    result = copy.deepcopy(context.result)
    awp = result["formulas"][0]
    awp.update(status="blocked", reasons=["contract_period_gap"], shortfall=None, offset_groups=None)
    for bucket in awp["buckets"]:
        bucket.update(guaranteed_discount=None, guaranteed_cost=None, variance=None)
    text = "\n".join(pages_of(pdf_bytes(replace(context, result=result))))
    for bucket in awp["buckets"]:
        assert field_text("awp", bucket["awp"]) not in text
        assert field_text("actual_discount", bucket["actual_discount"]) not in text


def test_modeled_figures_carry_the_label_beside_every_number():
    context = demo_run(governance="candidate")
    lines = body_lines(pages_of(pdf_bytes(context)))
    for formula_id in (AWP, FEE, REBATE):
        formula = context.formula(formula_id)
        start = section_start(lines, formula)
        others = tuple(SECTION.format(title=formula_title(f["id"]), status=f["status"].upper())
                       for f in context.formulas if f is not formula)
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(others))
        figures = [line for line in lines[start:end] if FIGURE.fullmatch(line)]
        assert len(figures) > 5 and all(line.endswith(" MODELED") for line in figures), formula_id
    assert "Discount off AWP by channel and drug type: actual vs guaranteed (%) - MODELED, not final" in lines
    gdr = context.formula("generic_dispensing_rate")
    assert f"Generic vs brand claims (generic dispensing rate {percent(Decimal(gdr['gdr']))})" in lines


def test_repricing_is_a_projection_and_never_lowers_readiness(final):
    context, pdf = final
    repricing = context.formula("repricing_savings")
    assert repricing["status"] == "modeled" and context.readiness == "final"
    text = " ".join(body_lines(pages_of(pdf)))
    assert "Repricing savings (proposal) — MODELED (a projection, not an audit finding)" in text
    assert f"{money(Decimal(repricing['total_savings']))} MODELED" in text


def test_the_executive_summary_is_the_narrative_when_there_is_one(final):
    context, pdf = final
    cover = " ".join(lines_of(pages_of(pdf)[0]))
    assert "The plan is owed $3,049.35 (AWP discount $3,015.72, dispensing fee $33.63, rebate $0.00)" in cover
    drafted = Narrative("Acme Manufacturing's audit is final.\n\nThe plan is owed $3,049.35.", "model",
                        "gpt-4o-mini", "ab" * 32, None)
    cover = " ".join(lines_of(pages_of(pdf_bytes(replace(context, narrative=drafted)))[0]))
    assert "Acme Manufacturing's audit is final. The plan is owed $3,049.35." in cover
    assert "Drafted by AI (gpt-4o-mini)" in cover and "The plan is owed $3,049.35 (AWP" not in cover


def test_a_partial_scope_names_its_tpa_and_groups_on_the_cover(final):
    context, _ = final
    result = copy.deepcopy(context.result)
    result["scope"].update(tpa_id="TPA_1", group_ids=["C001-G01", "C001-G02"])
    names = replace(context.names, tpa="Keystone Benefit Administrators",
                    groups=(("C001-G01", "Salaried Employees"), ("C001-G02", "Hourly Employees")))
    cover = " ".join(lines_of(pages_of(pdf_bytes(replace(context, result=result, names=names)))[0]))
    assert ("(partial scope: TPA Keystone Benefit Administrators (TPA_1); groups Salaried Employees (C001-G01), "
            "Hourly Employees (C001-G02))") in cover


def test_every_page_names_the_client_the_run_and_its_scope_and_counts_pages(run):
    _, context, pdf = run
    pages = pages_of(pdf)
    for number, page in enumerate(pages, start=1):
        assert context.client_label in page and context.pbm_label in page
        assert context.run_id in page and context.scope_hash in page
        assert f"Page {number} of {len(pages)}" in page


def test_evidence_and_lineage_close_the_report(final):
    context, pdf = final
    text = "\n".join(pages_of(pdf))
    for ref in context.evidence:
        assert ref["evidence_id"] in text and ref["sha256"] in text
    for value in (context.lineage["trace_id"], context.result["inputs"]["claims_sha256"], "itr_request_id"):
        assert value in text
    quality = context.result["data_quality"]
    assert f"Paid claims cancelled by their reversal (both left out) reversed_pairs {count(quality['reversed_pairs'])}" \
        in " ".join(body_lines(pages_of(pdf)))
    assert "bad_value:" not in text and "rows_rejected" not in text  # the whole input's rejects are the analyst's


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


def test_the_presentation_contract_finds_nothing(run):
    _, _, pdf = run
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
    assert "row 12: bad_value:member_id, row 40: duplicate_claim_id" in body_lines(pages_of(pdf))
    assert rendered_violations(pdf) == []


def test_formatting_is_exact_and_from_the_decimal():
    assert money(Decimal("12981.60")) == "$12,981.60"
    assert money(Decimal("-1019.50")) == "-$1,019.50"
    assert money(Decimal("-0.00")) == "$0.00"  # zero is never signed
    assert money(Decimal("1234567890123456.78")) == "$1,234,567,890,123,456.78"  # beyond a float's 15-16 digits
    assert percent(Decimal("0.1832")) == "18.32%" and percent(Decimal("0.0500")) == "5.00%"
    assert count(1419) == "1,419"
    assert field_text("actual_discount", None) == "n/a"
    with pytest.raises(ValueError):
        money(Decimal("1.005"))  # more places than money has: a formula skipped its rounding, never hidden here
    with pytest.raises(ValueError):
        percent(Decimal("0.18325"))


def rendered_violations(pdf: bytes) -> list:
    """The contract's final look at a PDF: its metadata and its text, extracted once."""
    check = ContractCheck()
    check_rendered(check, "report.pdf", "application/pdf", pdf)
    return check.violations
