"""One run, every deliverable agreeing: the workbook and the PDF downloaded through the gateway show exactly the
numbers, statuses and run_id of the API JSON of the same run."""
from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.publisher.domain.report_format import field_text
from services.publisher.domain.workbook import sheet_name
from tests.e2e.conftest import run_reply

pytestmark = pytest.mark.e2e
SCOPES = [  # final, and with a formula blocked (no rebate evidence for C006)
    {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-12-31"},
    {"client_id": "C006", "pbm_id": "PBM_B", "date_from": "2025-01-01", "date_to": "2025-12-31"},
]
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


@pytest.mark.parametrize("scope", SCOPES, ids=lambda s: s["client_id"])
def test_workbook_and_pdf_show_exactly_the_api_numbers(mesh, scope):
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
    assert any(f["status"] == "blocked" for f in run["result"]["formulas"]) == (scope["client_id"] == "C006")
