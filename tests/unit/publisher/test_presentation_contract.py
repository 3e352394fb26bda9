"""Presentation contract: every leak in every kind of artifact is refused with rule and place, on the path the
publisher takes — each value checked where it is produced, the rendered workbook and PDF looked at once for what
rendering adds — and clean output passes."""
import copy
import io

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from xlsxwriter.utility import xl_col_to_name

from kernel.errors import Refused
from services.publisher.adapters.presentation_rendered import check_rendered
from services.publisher.domain.deliverable_files import XLSX
from services.publisher.domain.extract import DATE_TEXT, DECIMAL_TEXT, PSEUDONYM_PREFIX
from services.publisher.domain.presentation_contract import ContractCheck, PresentationRefused
from services.publisher.domain.presentation_rules import RULE_IDS, findings, may_leak
from tests.unit.publisher.presentation_corpus import (
    DASHBOARD_ROWS,
    PHI_NAMES_IN_TEXT,
    PHI_NAMES_ONLY,
    RUN_JSON,
    TEXT_SAMPLES,
    VALUES,
    clean_productions,
    document,
    pdf,
    report_lines,
    table,
    violations_of,
    workbook,
)

CHEAP_NEIGHBOURS = [produce for _, produce in clean_productions()[:3]]  # the CSVs and run.json
NEW_COLUMN = xl_col_to_name(len(DASHBOARD_ROWS[0]))  # the sheet column a poisoned `note` or PHI header lands in


def _rows(rule: str, sample: str) -> list[dict]:
    """The dashboard rows with the sample as a new column's name (PHI) or as the first row's `note`."""
    if rule == "phi_field":
        return [{**row, sample: "x"} for row in DASHBOARD_ROWS]
    return [{**row, "note": sample if index == 0 else "ok"} for index, row in enumerate(DASHBOARD_ROWS)]


def csv_body(rule, sample):
    where = f"header, column {len(DASHBOARD_ROWS[0]) + 1}" if rule == "phi_field" else "row 1, column note"
    return "dashboard_awp.csv", table("dashboard_awp.csv", _rows(rule, sample)), where


def json_body(rule, sample):
    run = copy.deepcopy(RUN_JSON)
    key = sample if rule == "phi_field" else "note"
    run["formulas"][0][key] = "x" if rule == "phi_field" else sample
    return "run.json", document("run.json", run), f"/formulas/0/{key}"


def xlsx_body(rule, sample):
    return "report.xlsx", workbook({"awp": _rows(rule, sample)}), f"awp!{NEW_COLUMN}{1 if rule == 'phi_field' else 2}"


def xlsx_properties(rule, sample):
    if rule == "phi_field":
        return "report.xlsx", workbook({"awp": DASHBOARD_ROWS}, custom={sample: "x"}), f"custom property {sample!r}"
    return "report.xlsx", workbook({"awp": DASHBOARD_ROWS}, {"comments": sample}), "properties.description"


def pdf_body(rule, sample):
    return "report.pdf", pdf(report_lines(DASHBOARD_ROWS) + [sample]), "page 1"


def pdf_metadata(rule, sample):
    return "report.pdf", pdf(["Guarantee report"], {"Subject": sample}), "metadata /Subject"


STRUCTURED = PHI_NAMES_IN_TEXT + PHI_NAMES_ONLY + VALUES
MATRIX = [(build, rule, sample) for build in (csv_body, json_body, xlsx_body, xlsx_properties) for rule, sample in
          STRUCTURED] + [(build, rule, sample) for build in (pdf_body, pdf_metadata) for rule, sample in TEXT_SAMPLES]


@pytest.mark.parametrize("build, rule, sample", MATRIX,
                         ids=[f"{b.__name__}-{r}-{s[:24]}" for b, r, s in MATRIX])
def test_every_leak_in_every_artifact_type_refuses_all_with_rule_and_place_never_the_value(build, rule, sample):
    name, produce, where = build(rule, sample)
    check = ContractCheck()
    for neighbour in [CHEAP_NEIGHBOURS[0], produce, *CHEAP_NEIGHBOURS[1:]]:  # clean ones around it: refused as a whole
        neighbour(check)
    with pytest.raises(PresentationRefused) as refused:
        check.enforce()
    error = refused.value
    assert isinstance(error, Refused) and error.code == f"presentation_contract:{rule}"
    assert [(v.rule, v.artifact, v.where) for v in error.violations] == [(rule, name, where)]
    assert rule in str(error) and name in str(error) and where in str(error)
    if rule != "phi_field":  # a field name helps the fix; a value is never repeated
        assert sample not in str(error) and "masked" in str(error)


def test_every_rule_is_covered_by_the_corpus():
    assert {rule for rule, _ in STRUCTURED} == set(RULE_IDS)


@pytest.mark.parametrize("rule, sample", STRUCTURED, ids=[f"{r}-{s[:24]}" for r, s in STRUCTURED])
def test_the_one_matcher_stops_every_sample(rule, sample):
    """The gate every value passes: a sample it let through would never reach the rules at all."""
    assert may_leak(sample, is_name=True)
    if (rule, sample) not in PHI_NAMES_ONLY:
        assert may_leak(sample) and may_leak(f"x {sample} y")


LEAK = st.sampled_from([sample for _, sample in STRUCTURED] + ["paſſword=x1", "\u212aEY=x", "AKİA"])


@given(st.text(max_size=30), LEAK, st.text(max_size=30), st.booleans())
def test_nothing_a_rule_finds_gets_past_the_matcher(before, leak, after, is_name):
    text = before + leak + after
    if findings(text, is_name):
        assert may_leak(text, is_name)


@given(st.text(max_size=60), st.booleans())
def test_no_text_a_rule_fires_on_passes_the_matcher(text, is_name):
    if findings(text, is_name):
        assert may_leak(text, is_name)


@given(st.one_of(st.from_regex(DECIMAL_TEXT, fullmatch=True), st.from_regex(DATE_TEXT, fullmatch=True),
                 st.from_regex(f"{PSEUDONYM_PREFIX}[0-9a-f]{{24}}", fullmatch=True), st.sampled_from(["Y", "N"])))
def test_the_cells_the_publisher_spells_itself_can_fire_no_rule(text):
    """Why only the source's text columns of an extract row are checked: amounts, days, flags and pseudonyms
    (held to these shapes) cannot spell anything a rule looks for."""
    assert findings(text, is_name=True) == [] and not may_leak(text, is_name=True)


def test_a_key_completes_a_secret_whatever_its_value():
    check = ContractCheck()
    for key in ("password", "client_secret", "sig"):
        check.value("extract.csv", f"row 1, column {key}", "plainvalue1" if key != "sig" else "a&sv=1&sig=QWERTYuiop1234",
                    key=key)
    assert [v.rule for v in check.violations] == ["password", "secret_key", "sas_token"]


@pytest.mark.parametrize("name, produce", clean_productions(), ids=[n for n, _ in clean_productions()])
def test_clean_realistic_artifacts_of_every_type_pass(name, produce):
    assert violations_of(produce) == []


def test_a_clean_set_is_let_through():
    check = ContractCheck()
    for _, produce in clean_productions():
        produce(check)
    assert check.enforce() is None


def test_one_bad_artifact_among_many_publishes_nothing():
    _, bad, _ = csv_body("member_id_value", "M00012345")
    check = ContractCheck()
    for produce in [p for _, p in clean_productions()] + [bad] + [p for _, p in clean_productions()]:
        produce(check)
    with pytest.raises(PresentationRefused) as refused:
        check.enforce()
    assert "M00012345" not in str(refused.value)


def test_a_refusal_keeps_a_bounded_list_and_counts_the_rest():
    check = ContractCheck()
    for number in range(1, 5001):
        check.value("extract.csv", f"row {number}, column claim_id", f"M{number:08d}", key="claim_id")
    assert len(check.violations) == 1000 and check.found == 5000


@pytest.mark.parametrize("text", ["1234.50", "-0.75", "2025-01-01", "2025/01/01", "12/31/2025", "3/4", "00002143380",
                                  "1234567893", "run_20250131T120000Z_7f3a", "C001-G01", "PBM_A", "TPA_1", "M1234",
                                  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "member_paid",
                                  "member_pseudonym", "bad_value:member_id", "missing_column:member_id",
                                  "https://leaf.domo.com/page/123", "see docs/run/etc", "password rotation policy",
                                  "client C001 has 4,211 claims; GDR 87.34%", "ADDRESS of the pharmacy network"])
def test_ordinary_values_are_not_mistaken_for_leaks(text):
    check = ContractCheck()
    check.value("notes.txt", "line 1", text)
    assert check.violations == []


@pytest.mark.parametrize("name, content_type", [("report.pdf", "application/pdf"), ("report.xlsx", XLSX)])
def test_bytes_that_cannot_be_parsed_are_refused_not_skipped(name, content_type):
    check = ContractCheck()
    check_rendered(check, name, content_type, b"\x00not really this type")
    with pytest.raises(PresentationRefused) as refused:
        check.enforce()
    assert refused.value.code == "presentation_contract:unreadable"


def _workbook_with(write) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    write(book, book.add_worksheet("awp"))
    book.close()
    return out.getvalue()


@pytest.mark.parametrize("write, rule, part", [
    (lambda b, s: s.write_comment("A1", "token: Bearer abcdefgh12345678"), "bearer_token", "xl/comments1.xml"),
    (lambda b, s: s.write_url("A1", "https://x.sharepoint.com/_layouts/15/download.aspx?UniqueId=1", string="contract"),
     "graph_download_url", "xl/worksheets/_rels/sheet1.xml.rels"),
    (lambda b, s: b.set_properties({"company": "/home/analyst/leaf"}), "local_path", "docProps/app.xml"),
    (lambda b, s: b.define_name("Src", '="/tmp/claims.csv"'), "local_path", "xl/workbook.xml"),
], ids=["comment", "hyperlink_target", "app_property", "defined_name"])
def test_workbook_parts_beyond_cells_are_checked_once_rendered(write, rule, part):
    check = ContractCheck()
    check_rendered(check, "report.xlsx", XLSX, _workbook_with(write))
    assert [v.rule for v in check.violations] == [rule] and check.violations[0].where.startswith(f"part {part}, element ")


def test_the_final_look_never_reads_the_cells_back():
    """A leak written straight into a cell, past the checked writer, is not found by the final look: cells are
    checked where they are written, and only there (this is what keeps the final look cheap)."""
    check = ContractCheck()
    check_rendered(check, "report.xlsx", XLSX, _workbook_with(lambda b, s: s.write_string("A1", "M00012345")))
    assert check.violations == []
