"""Presentation-contract corpus: leak samples, clean realistic content, and producers that build each kind of artifact
the way the publisher does — values checked as they are produced, then the final look at what rendering adds."""
from __future__ import annotations

import io
from collections.abc import Callable

import xlsxwriter
from reportlab.lib.pagesizes import A3, landscape
from reportlab.pdfgen import canvas

from services.publisher.adapters.presentation_rendered import check_rendered
from services.publisher.adapters.workbook.workbook_check import add_sheet
from services.publisher.domain.dashboard import Table
from services.publisher.domain.deliverable_files import XLSX, check_table
from services.publisher.domain.presentation_contract import ContractCheck

# (rule, sample): a field name for phi_field, else a value; each sample fires its rule and no other.
PHI_NAMES_IN_TEXT = [("phi_field", s) for s in ("member_id", "memberId", "Member Name", "first_name", "last_name",
                                                "date_of_birth", "DOB", "ssn", "patient_id", "member_address")]
PHI_NAMES_ONLY = [("phi_field", s) for s in ("email", "address", "phone_number", "zip_code")]  # PHI only as names
VALUES = [
    ("member_id_value", "M00012345"), ("member_id_value", "M123456"),
    ("bearer_token", "Bearer 3xAmPlE.t0ken-value_9"),
    ("bearer_token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMyJ9.c2lnbmF0dXJlLXZhbHVl"),
    ("sas_token", "https://acct.blob.core.windows.net/c/claims.csv?sv=2022-11-02&sr=b&sp=r&sig=AbCdEf0123%2Bxyz%3D"),
    ("sas_token", "?se=2025-06-01T00%3A00Z&sp=rl&sig=QWERTYuiop1234567890"),
    ("servicebus_connection", "Endpoint=sb://leaf-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAcce"
                              "ssKey;SharedAccessKey=k3y+Abc/123="),
    ("password", "password=Hunter2!"), ("password", "pwd=s3cr3t"), ("password", 'DB_PASSWORD: "Tr0ub4dor"'),
    ("password", "postgresql://svc_user:PaSsW0rd@db.internal:5432/leaf"),
    ("graph_download_url", "https://contoso-my.sharepoint.com/personal/x/_layouts/15/download.aspx?UniqueId=abc"),
    ("graph_download_url", "https://graph.microsoft.com/v1.0/drives/b!x/items/01AB/content?tempauth=eyJ0eXAiOi"),
    ("graph_download_url", "@microsoft.graph.downloadUrl"),
    ("graph_download_url", "https://contoso.sharepoint.com/sites/pbm/Shared%20Documents/contract.pdf?download=1"),
    ("salesforce_body_url", "/services/data/v59.0/sobjects/ContentVersion/0685g00000AbCdEAAZ/VersionData"),
    ("salesforce_body_url",
     "https://leaf.my.salesforce.com/services/data/v58.0/sobjects/Attachment/00P5g00000XyZab/Body"),
    ("local_path", "/home/analyst/claims/C001.csv"), ("local_path", "/tmp/leaf-run/extract.csv"),
    ("local_path", "/work/main/demo/onedrive"), ("local_path", "/Users/jane/Downloads/report.pdf"),
    ("local_path", r"C:\Users\jane\Documents\claims.xlsx"), ("local_path", "/var/lib/leaf/outbox/run.json"),
    ("secret_key", "AKIAIOSFODNN7EXAMPLE"), ("secret_key", "-----BEGIN RSA PRIVATE KEY-----"),
    ("secret_key", "api_key=abc123def456"), ("secret_key", "sk-proj-abcdefghijklmnopqrstuvwx"),
    ("secret_key", "client_secret=Zx9~yW8.vU7"),
]
# Free text a PDF or a property may carry; the name-only PHI words are tested where they are names.
TEXT_SAMPLES = PHI_NAMES_IN_TEXT + VALUES

SCOPE = {"run_id": "run_20250131T120000Z_7f3a", "client_id": "C001", "pbm_id": "PBM_A", "tpa_id": "TPA_1",
         "group_ids": "C001-G01;C001-G02", "date_from": "2025-01-01", "date_to": "2025-12-31",
         "scope_hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}
DASHBOARD_ROWS = [{**SCOPE, "formula_id": "awp_discount_guarantee", "formula_version": "1.2.0", "status": "ready",
                   "channel": ch, "ingredient_cost": cost, "guarantee_rate": "0.8150", "shortfall": "1234.50",
                   "member_paid": "310.00", "gdr": "0.8734", "reasons": "bad_value:member_id;ratio 3/4"}
                  for ch, cost in (("RETAIL_30", "98211.37"), ("MAIL", "40110.00"), ("SPECIALTY", "0.00"))]
EXTRACT_ROWS = [{"claim_id": "CLM-000123", "member_pseudonym": "mp_5e884898da28047151d0e56f8dc6292773603d0d",
                 "fill_date": "2025/03/14", "ndc": "00002143380", "pharmacy_npi": "1234567893", "channel": "RETAIL_30",
                 "ingredient_cost_paid": "45.10", "member_paid": "10.00", "plan_paid": "35.10", "days_supply": "30"}]
RUN_JSON = {"run_id": SCOPE["run_id"], "scope": {**SCOPE, "group_ids": ["C001-G01", "C001-G02"]},
            "claims_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "rejections": {"bad_value:member_id": 2, "missing_column:fill_date": 0, "bad_row_shape": 1},
            "published": "https://leaf.domo.com/datasources/0a1b2c3d/details/data/table",
            "formulas": [{"id": "awp_discount_guarantee", "version": "1.2.0", "status": "ready", "gdr": 0.8734,
                          "totals": {"shortfall": "1234.50", "claims": 4211}, "window": "01/01/2025-12/31/2025"}]}


def xlsx_bytes(sheets: dict[str, list[dict]], properties: dict | None = None, custom: dict | None = None,
               check: ContractCheck | None = None) -> bytes:
    """A workbook; with `check`, every sheet name and text cell meets it as written (as the publisher's do)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    book.set_properties({"title": "C001 PBM_A 2025 guarantee workbook", "author": "leaf publisher",
                         "comments": "run_20250131T120000Z_7f3a", **(properties or {})})
    for name, value in (custom or {}).items():
        book.set_custom_property(name, value)
    for name, rows in sheets.items():
        sheet = add_sheet(book, name, check, "report.xlsx")
        for col, column in enumerate(rows[0]):
            sheet.write_string(0, col, column)
            for row_number, row in enumerate(rows, start=1):
                sheet.write_string(row_number, col, str(row[column]))
    book.close()
    return out.getvalue()


def pdf_bytes(lines: list[str], metadata: dict | None = None) -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=landscape(A3))
    page.setTitle("C001 PBM_A 2025 guarantee report")
    page.setAuthor("leaf publisher")
    for field, value in (metadata or {}).items():
        getattr(page, f"set{field}")(value)
    page.setFont("Helvetica", 7)
    for number, line in enumerate(lines):
        page.drawString(20, 800 - 12 * number, line)
    page.showPage()
    page.save()
    return out.getvalue()


def report_lines(rows: list[dict]) -> list[str]:
    title = "Guarantee report C001 / PBM_A, 2025-01-01 to 2025-12-31"
    return [title] + [" | ".join(map(str, row.values())) for row in rows]


Producer = Callable[[ContractCheck], None]


def table(name: str, rows: list[dict]) -> Producer:
    """A CSV table checked as the publisher checks its dashboard tables: header names, then each cell under its column."""
    return lambda check: check_table(check, name, Table(name, tuple(rows[0]), tuple(rows)))


def document(name: str, value: object) -> Producer:
    return lambda check: check.document(name, value)


def workbook(sheets: dict[str, list[dict]], properties: dict | None = None, custom: dict | None = None) -> Producer:
    def produce(check: ContractCheck) -> None:
        check_rendered(check, "report.xlsx", XLSX, xlsx_bytes(sheets, properties, custom, check))
    return produce


def pdf(lines: list[str], metadata: dict | None = None) -> Producer:
    return lambda check: check_rendered(check, "report.pdf", "application/pdf", pdf_bytes(lines, metadata))


def clean_productions() -> list[tuple[str, Producer]]:
    return [("dashboard_awp.csv", table("dashboard_awp.csv", DASHBOARD_ROWS)),
            ("extract.csv", table("extract.csv", EXTRACT_ROWS)),
            ("run.json", document("run.json", RUN_JSON)),
            ("dashboard.json", document("dashboard.json", {"tables": DASHBOARD_ROWS})),
            ("report.xlsx", workbook({"awp": DASHBOARD_ROWS, "extract": EXTRACT_ROWS})),
            ("report.pdf", pdf(report_lines(DASHBOARD_ROWS + EXTRACT_ROWS)))]


def violations_of(*producers: Producer) -> list:
    check = ContractCheck()
    for produce in producers:
        produce(check)
    return check.violations
