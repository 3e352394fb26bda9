"""Presentation contract: every leak in every artifact type is refused with rule and place; clean output passes."""
import copy
import io
import json

import pytest
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from runtime.errors import Refused
from services.publisher.domain.presentation_contract import Artifact, PresentationRefused, enforce, scan
from services.publisher.domain.presentation_extract import XLSX
from services.publisher.domain.presentation_rules import RULE_IDS
from tests.unit.publisher.presentation_corpus import (
    DASHBOARD_ROWS,
    PHI_NAMES_IN_TEXT,
    PHI_NAMES_ONLY,
    RUN_JSON,
    TEXT_SAMPLES,
    VALUES,
    clean_artifacts,
    csv_bytes,
    pdf_bytes,
    report_lines,
    xlsx_bytes,
)

CHEAP_NEIGHBOURS = clean_artifacts()[:3]  # the CSVs and run.json; the full clean set is checked once, below
NEW_COLUMN = xl_col_to_name(len(DASHBOARD_ROWS[0]))  # the sheet column a poisoned `note` or PHI header lands in


def _rows(rule: str, sample: str) -> list[dict]:
    """The dashboard rows with the sample as a new column's name (PHI) or as the first row's `note`."""
    if rule == "phi_field":
        return [{**row, sample: "x"} for row in DASHBOARD_ROWS]
    return [{**row, "note": sample if index == 0 else "ok"} for index, row in enumerate(DASHBOARD_ROWS)]


def csv_body(rule, sample):
    where = f"header, column {len(DASHBOARD_ROWS[0]) + 1}" if rule == "phi_field" else "row 1, column note"
    return Artifact("dashboard_awp.csv", "text/csv", csv_bytes(_rows(rule, sample))), where


def json_body(rule, sample):
    run = copy.deepcopy(RUN_JSON)
    key = sample if rule == "phi_field" else "note"
    run["formulas"][0][key] = "x" if rule == "phi_field" else sample
    return Artifact("run.json", "application/json", json.dumps(run).encode()), f"/formulas/0/{key}"


def xlsx_body(rule, sample):
    where = f"awp!{NEW_COLUMN}{1 if rule == 'phi_field' else 2}"
    return Artifact("report.xlsx", XLSX, xlsx_bytes({"awp": _rows(rule, sample)})), where


def xlsx_properties(rule, sample):
    if rule == "phi_field":
        return Artifact("report.xlsx", XLSX, xlsx_bytes({"awp": DASHBOARD_ROWS}, custom={sample: "x"})), \
            f"custom property {sample!r}"
    return Artifact("report.xlsx", XLSX, xlsx_bytes({"awp": DASHBOARD_ROWS}, {"comments": sample})), \
        "properties.description"


def pdf_body(rule, sample):
    return Artifact("report.pdf", "application/pdf", pdf_bytes(report_lines(DASHBOARD_ROWS) + [sample])), "page 1"


def pdf_metadata(rule, sample):
    return Artifact("report.pdf", "application/pdf", pdf_bytes(["Guarantee report"], {"Subject": sample})), \
        "metadata /Subject"


STRUCTURED = PHI_NAMES_IN_TEXT + PHI_NAMES_ONLY + VALUES
MATRIX = [(build, rule, sample) for build in (csv_body, json_body, xlsx_body, xlsx_properties) for rule, sample in
          STRUCTURED] + [(build, rule, sample) for build in (pdf_body, pdf_metadata) for rule, sample in TEXT_SAMPLES]


@pytest.mark.parametrize("build, rule, sample", MATRIX,
                         ids=[f"{b.__name__}-{r}-{s[:24]}" for b, r, s in MATRIX])
def test_every_leak_in_every_artifact_type_refuses_all_with_rule_and_place_never_the_value(build, rule, sample):
    artifact, where = build(rule, sample)
    with pytest.raises(PresentationRefused) as refused:
        enforce([*CHEAP_NEIGHBOURS[:1], artifact, *CHEAP_NEIGHBOURS[1:]])  # clean ones around it: refused as a whole
    error = refused.value
    assert isinstance(error, Refused) and error.code == f"presentation_contract:{rule}"
    assert [(v.rule, v.artifact, v.where) for v in error.violations] == [(rule, artifact.name, where)]
    assert rule in str(error) and artifact.name in str(error) and where in str(error)
    if rule != "phi_field":  # a field name helps the fix; a value is never repeated
        assert sample not in str(error) and "masked" in str(error)


def test_every_rule_is_covered_by_the_corpus():
    assert {rule for rule, _ in STRUCTURED} == set(RULE_IDS)


@pytest.mark.parametrize("artifact", clean_artifacts(), ids=lambda a: a.name)
def test_clean_realistic_artifacts_of_every_type_pass(artifact):
    assert scan(artifact) == []


def test_a_clean_set_is_let_through():
    assert enforce(clean_artifacts()) is None


def test_one_bad_artifact_among_many_publishes_nothing():
    published = []

    def publish(artifacts):
        enforce(artifacts)  # the contract runs before the first artifact is written
        published.extend(artifacts)

    bad, _ = csv_body("member_id_value", "M00012345")
    with pytest.raises(PresentationRefused) as refused:
        publish(clean_artifacts() + [bad] + clean_artifacts())
    assert published == [] and "M00012345" not in str(refused.value)


@pytest.mark.parametrize("text", ["1234.50", "-0.75", "2025-01-01", "2025/01/01", "12/31/2025", "3/4", "00002143380",
                                  "1234567893", "run_20250131T120000Z_7f3a", "C001-G01", "PBM_A", "TPA_1", "M1234",
                                  "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "member_paid",
                                  "member_pseudonym", "bad_value:member_id", "missing_column:member_id",
                                  "https://leaf.domo.com/page/123", "see docs/run/etc", "password rotation policy",
                                  "client C001 has 4,211 claims; GDR 87.34%", "ADDRESS of the pharmacy network"])
def test_ordinary_values_are_not_mistaken_for_leaks(text):
    assert scan(Artifact("notes.txt", "text/plain", text.encode())) == []


@pytest.mark.parametrize("name, content_type", [("report.pdf", "application/pdf"), ("report.xlsx", XLSX),
                                                ("run.json", "application/json")])
def test_bytes_that_cannot_be_parsed_are_refused_not_skipped(name, content_type):
    with pytest.raises(PresentationRefused) as refused:
        enforce([Artifact(name, content_type, b"\x00not really this type")])
    assert refused.value.code == "presentation_contract:unreadable"


def test_the_type_falls_back_to_the_extension():
    artifact, where = csv_body("phi_field", "member_id")
    assert [v.where for v in scan(Artifact("x.csv", "application/octet-stream", artifact.data))] == [where]


def _workbook_with(write) -> Artifact:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    write(book, book.add_worksheet("awp"))
    book.close()
    return Artifact("report.xlsx", XLSX, out.getvalue())


@pytest.mark.parametrize("write, rule, part", [
    (lambda b, s: s.write_comment("A1", "token: Bearer abcdefgh12345678"), "bearer_token", "xl/comments1.xml"),
    (lambda b, s: s.write_url("A1", "https://x.sharepoint.com/_layouts/15/download.aspx?UniqueId=1", string="contract"),
     "graph_download_url", "xl/worksheets/_rels/sheet1.xml.rels"),
    (lambda b, s: b.set_properties({"company": "/home/analyst/leaf"}), "local_path", "docProps/app.xml"),
    (lambda b, s: b.define_name("Src", '="/tmp/claims.csv"'), "local_path", "xl/workbook.xml"),
], ids=["comment", "hyperlink_target", "app_property", "defined_name"])
def test_workbook_parts_beyond_cells_are_scanned_too(write, rule, part):
    violations = scan(_workbook_with(write))
    assert [v.rule for v in violations] == [rule] and violations[0].where.startswith(f"part {part}, element ")
