"""One run, every deliverable agreeing, for every demo run: the workbook, the PDF and the dashboard tables downloaded
through the gateway show exactly the numbers, statuses and run_id of the API JSON of the same run."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from demo import load_registry
from services.publisher.domain.audit_summary import owed
from services.publisher.domain.report_format import field_text
from services.publisher.domain.workbook_sheets import sheet_name
from tests.e2e.conftest import run_reply
from tests.e2e.demo_runs import DEMO_RUNS

pytestmark = pytest.mark.e2e
SKIP = {"id", "version", "status", "reasons", "excluded", "buckets", "unpriced_buckets", "offset"}  # offset: a code


def numbers_of(formula: dict) -> list[tuple[str, object]]:
    """Every published figure of a formula: its bucket fields and its totals, as (field, value)."""
    found = [(field, value) for bucket in formula.get("buckets", []) for field, value in bucket.items()
             if field not in ("channel", "brand_generic") and value is not None]
    found += [(field, value) for field, value in formula.items() if field not in SKIP and value is not None
              and not isinstance(value, (list, dict))]
    return found


def sheet_values(sheet) -> set:
    values = set()
    for row in sheet.iter_rows(values_only=True):
        for value in row:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                values.add(Decimal(str(value)))
            elif value is not None:
                values.add(str(value))
    return values


@pytest.mark.parametrize("name", list(DEMO_RUNS))
def test_workbook_and_pdf_show_exactly_the_api_numbers(mesh, name):
    scope = DEMO_RUNS[name]
    run = run_reply(mesh["http"], scope).json()
    listed = {a["name"]: a for a in mesh["http"].get(f"/v1/runs/{run['run_id']}/artifacts").json()["artifacts"]}
    assert {"report.xlsx", "report.pdf", "extract.csv", "run.json"} <= set(listed)
    workbook = load_workbook(io.BytesIO(mesh["http"].get(listed["report.xlsx"]["href"]).content), read_only=True)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(mesh["http"].get(listed["report.pdf"]["href"]).content)).pages]
    pdf = "\n".join(pages)
    assert all(run["run_id"] in page and run["scope_hash"] in page for page in pages)
    sheets = {name: sheet_values(workbook[name]) for name in workbook.sheetnames if name != "Extract"}
    assert all(run["run_id"] in values for values in sheets.values())
    assert run["readiness"] in sheets["Summary"]
    for formula in run["result"]["formulas"]:
        sheet = sheets[sheet_name(formula["id"])]
        assert formula["status"] in sheet or formula["status"].upper() in " ".join(map(str, sheet))
        if formula["status"] == "blocked":
            assert all(reason in pdf for reason in formula["reasons"])
            continue
        for field, value in numbers_of(formula):
            assert (Decimal(value) if isinstance(value, str) else Decimal(value)) in sheet, (formula["id"], field, value)
            assert field_text(field, value) in pdf, (formula["id"], field, value)
    if name == "C006-PBM_B":
        assert [f["id"] for f in run["result"]["formulas"] if f["status"] == "blocked"] == ["rebate_guarantee"]


def dashboard(http, run_id: str, table: str) -> list[dict]:
    return http.get(f"/v1/dashboard/{table}", params={"run_id": run_id}).raise_for_status().json()["rows"]


def shown(rows: list[dict]) -> list[dict]:
    return [row for row in rows if not row.get("suppressed")]


@pytest.mark.parametrize("name", list(DEMO_RUNS))
def test_the_dashboard_tables_show_the_api_numbers_and_re_derive_each_shortfall(mesh, name):
    http, run = mesh["http"], run_reply(mesh["http"], DEMO_RUNS[name]).json()
    result, run_id = run["result"], run["run_id"]
    totals = {row["formula_id"]: row for row in dashboard(http, run_id, "formula_totals")}
    groups = dashboard(http, run_id, "offset_groups")
    for formula in result["formulas"]:
        row = totals[formula["id"]]
        assert (row["status"], row["formula_version"]) == (formula["status"], formula["version"])
        if row.get("suppressed"):
            continue
        for field in ("shortfall", "received_other", "total_savings", "gdr"):
            assert row.get(field) == formula.get(field), (formula["id"], field)
        if formula["id"] in ("awp_discount_guarantee", "dispensing_fee_guarantee") and formula["status"] != "blocked":
            mine = [g for g in groups if g["formula_id"] == formula["id"]]
            assert [(g["group"], g["variance"], g["shortfall"]) for g in shown(mine)] == [
                (g["group"], g["variance"], g["shortfall"]) for g in formula["offset_groups"]
                if any(m["group"] == g["group"] and not m.get("suppressed") for m in mine)]
            if not any(g.get("suppressed") for g in mine):
                assert sum(Decimal(g["shortfall"]) for g in mine) == Decimal(formula["shortfall"])
        buckets = {(b["channel"], b["brand_generic"]): b for b in formula.get("buckets", [])}
        for bucket_row in shown(dashboard(http, run_id, formula["id"])) if buckets else []:
            bucket = buckets[(bucket_row["channel"], bucket_row["brand_generic"])]
            assert {k: bucket_row[k] for k in bucket} == bucket, (formula["id"], bucket_row)
    rebate = next((f for f in result["formulas"] if f["id"] == "rebate_guarantee"), None)
    if rebate is not None and rebate["status"] != "blocked":
        line = dashboard(http, run_id, "rebate_totals")[0]
        if not line.get("suppressed"):
            assert (line["variance_total"], line["received_other"], line["shortfall"]) == (
                rebate["variance_total"], rebate["received_other"], rebate["shortfall"])
            assert Decimal(line["shortfall"]) == max(Decimal("0.00"), Decimal(line["variance_total"])
                                                     - Decimal(line["received_other"]))
    summary = dashboard(http, run_id, "run_summary")[0]
    assert summary["readiness"] == result["readiness"]
    clients = {c["client_id"]: c["name"] for c in load_registry()["clients"]}
    pbms = {p["pbm_id"]: p["name"] for p in load_registry()["pbms"]}
    assert (summary["client_name"], summary["pbm_name"]) == (clients[result["scope"]["client_id"]],
                                                             pbms[result["scope"]["pbm_id"]])
    if not summary.get("suppressed"):
        due = owed(result)
        assert (Decimal(summary["total_owed_final"]), Decimal(summary["total_owed_modeled"])) == (due.final, due.modeled)
