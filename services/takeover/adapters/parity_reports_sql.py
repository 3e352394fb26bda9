"""Kept parity reports (service_layer/parity.ParityReports) in the takeover database, so every replica of the service
reads the same latest report (a pod-local folder did not). One row per kept report, inserted and never updated or
deleted (migration 0004's triggers refuse both); a process's latest report is its row with the highest id.

A report is kept as the exact dict of the golden comparison use case (`service_layer/parity.parity()`, whose
`report_id` is a digest of its packets), as JSON text."""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Integer, String, Table, Text, insert, select

from kernel.errors import InputError
from services.takeover.adapters.tables import ID, STAMP, metadata
from services.takeover.domain.processes import ParityResult, parity_result

takeover_parity_reports = Table(
    "takeover_parity_reports", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_id", String(ID), nullable=False, index=True),
    Column("report_id", String(ID), nullable=False),
    Column("load_id", String(ID), nullable=True),
    Column("report", Text, nullable=False),               # JSON: the report as parity() made it
    Column("made_by", String(256), nullable=False),       # who asked for it ("" when the writer did not say)
    Column("made_at", String(STAMP), nullable=False),
    implicit_returning=False,  # SQL Server refuses OUTPUT on a table with triggers (append-only: 0003/0004)
)

# A report id is a name (PR-<digest>), also shown in URLs and proofs: anything else is refused, never stored.
REPORT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_report_id(report_id: str) -> str:
    if not REPORT_ID.fullmatch(report_id):
        raise InputError("bad_input:report_id", f"{report_id!r} is not a parity report id")
    return report_id


class SqlParityReports:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def latest(self, process_id: str) -> ParityResult | None:
        """The registry's gate read straight from the kept report (no explanation applied)."""
        report = self.latest_report(process_id)
        return None if report is None else parity_result(report, report["report_id"])

    def latest_report(self, process_id: str) -> dict | None:
        """The latest kept report itself (its `report_id` the id it is kept under), None when there is none."""
        row = self._latest_row(process_id)
        return None if row is None else {**json.loads(row["report"]), "report_id": row["report_id"]}

    def write(self, process_id: str, report: Mapping, report_id: str | None = None, *, made_by: str = "",
              made_at: str | None = None) -> str:
        """Keep the report as the process's latest; returns its id (the report's own unless given). `made_by`: the
        verified operator who asked for it, else the report's own `made_by` (CompareParity's), else "". Writing
        again the report that is already the latest (same id, same content) adds nothing."""
        report_id = check_report_id(report_id or str(report.get("report_id") or ""))
        text = json.dumps(report, ensure_ascii=False, sort_keys=True)
        t = takeover_parity_reports.c
        with self.engine.begin() as db:
            latest = db.execute(select(t.report_id, t.report).where(t.process_id == process_id)
                                .order_by(t.id.desc()).limit(1)).mappings().first()
            if latest is not None and latest["report_id"] == report_id and latest["report"] == text:
                return report_id
            load_id = report.get("load_id")
            db.execute(insert(takeover_parity_reports).values(
                process_id=process_id, report_id=report_id, load_id=str(load_id) if load_id else None, report=text,
                made_by=made_by or str(report.get("made_by") or ""), made_at=made_at or _now()))
        return report_id

    def _latest_row(self, process_id: str) -> Mapping | None:
        t = takeover_parity_reports.c
        with self.engine.connect() as db:
            return db.execute(select(t.report_id, t.report).where(t.process_id == process_id)
                              .order_by(t.id.desc()).limit(1)).mappings().first()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
