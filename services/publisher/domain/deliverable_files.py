"""The files a run's deliverables are published as: their names and content types, and the dashboard tables' JSON
twins and contract check (rules every renderer and the offline twin share; the bytes of the PDF, workbook and
Parquet come from adapters/)."""
from __future__ import annotations

import json

from services.publisher.domain.dashboard import Table
from services.publisher.domain.presentation_contract import ContractCheck

RUN_JSON, EXTRACT_JSON, EXTRACT_PARQUET, PDF = "run.json", "extract.json", "extract.parquet", "report.pdf"
WORKBOOK = "report.xlsx"
PARQUET = "application/vnd.apache.parquet"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_json(table: Table) -> bytes:
    return json.dumps(list(table.rows), ensure_ascii=False).encode("utf-8")


def check_table(check: ContractCheck, artifact: str, table: Table) -> None:
    """A dashboard table as its CSV shows it; its JSON twin holds exactly these names and values."""
    check.header(artifact, table.columns)
    for number, row in enumerate(table.rows, start=1):
        check.row(artifact, number, table.columns, ("" if row.get(c) is None else str(row[c]) for c in table.columns))
