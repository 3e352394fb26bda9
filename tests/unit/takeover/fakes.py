"""Fakes of the parity reading ports (services/takeover/service_layer/parity.py), in memory: the kept reports, the
append-only explanations and the registry's definitions, so GetParity, ProposeExplanation and the registry's gate
run in unit tests without SQL (style.md 11). The ingest's and the registry's fakes sit beside their own tests."""
from __future__ import annotations

from collections.abc import Mapping

from services.takeover.domain.parity import Explanation
from services.takeover.domain.processes import LEGACY_REFERENCE, Process, ProcessRecord


class FakeParityReports:
    """Append-only, as the SQL store: writing again the report that is already the latest adds nothing."""

    def __init__(self) -> None:
        self.kept: list[tuple[str, str, dict]] = []  # (process id, report id, report)

    def latest_report(self, process_id: str) -> dict | None:
        mine = [report for process, _, report in self.kept if process == process_id]
        return dict(mine[-1]) if mine else None

    def write(self, process_id: str, report: Mapping, report_id: str | None = None) -> str:
        report_id = report_id or str(report["report_id"])
        mine = [(rid, r) for process, rid, r in self.kept if process == process_id]
        if not mine or mine[-1] != (report_id, dict(report)):
            self.kept.append((process_id, report_id, dict(report)))
        return report_id


class FakeExplanations:
    def __init__(self) -> None:
        self.history: list[tuple[str, Explanation]] = []

    def all(self, process: str) -> list[Explanation]:
        return [e for p, e in self.history if p == process]

    def append(self, process: str, explanation: Explanation) -> None:
        self.history.append((process, explanation))


class FakeProcessDefinitions:
    def __init__(self, *processes: Process) -> None:
        self.records = {p.process_id: ProcessRecord(p, LEGACY_REFERENCE) for p in processes}

    def get(self, process_id: str) -> ProcessRecord | None:
        return self.records.get(process_id)
