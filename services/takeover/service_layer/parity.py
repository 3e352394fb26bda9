"""Golden comparison packets (issue #13 item 5): replay each card, fetch the backend's value for the same scope,
classify, and record operators' explanations — proposed by anyone, approved by another verified operator."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Protocol

from kernel.errors import NotFound
from kernel.grants import Grant
from services.takeover.domain.parity import (
    DEFAULT_TOLERANCE,
    BackendValue,
    Explanation,
    approve,
    diff_suggestions,
    diff_summary,
    packet,
    parity_report,
    reclassify,
)
from services.takeover.domain.processes import ParityResult, ProcessRecord, may_read_parity, parity_result
from services.takeover.service_layer.replay import ExportObjects, SilverDatasets, replay


@dataclass(frozen=True)
class ProcessCards:
    """A Domo-backed process: the cards that show its metric and the registry field each is compared with."""

    process: str
    cards: Mapping[str, str]  # card id → "formula_id.field" of the calc registry
    tolerance: Decimal = DEFAULT_TOLERANCE
    scope: Mapping[str, str] = field(default_factory=dict)  # the backend scope (client, pbm, period …)


class BackendMetrics(Protocol):
    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        """The calc registry's value of the card's formula field for the process's scope."""


class Explanations(Protocol):
    """Append-only: every proposal and approval is kept."""

    def all(self, process: str) -> list[Explanation]: ...

    def append(self, process: str, explanation: Explanation) -> None: ...


class RowDiffs(Protocol):
    def diff(self, load_id: str, process: ProcessCards, card_id: str) -> dict | None:
        """The row-level diff of the card's rows against the backend's for the scope, None when not available."""


def parity(load_id: str, process: ProcessCards, exports: ExportObjects, silver: SilverDatasets,
           backend: BackendMetrics, explanations: Explanations, diffs: RowDiffs | None = None) -> dict:
    """The process's parity report: one packet per card, counts by classification and the worst difference."""
    entries = {e["card_id"]: e for e in replay(load_id, exports, silver)}
    known = _latest(explanations.all(process.process))
    packets = []
    for card_id in process.cards:
        entry = entries.get(card_id)
        if entry is None:
            raise NotFound("card_not_found", f"load {load_id} has no card {card_id}")
        suggested: list[str] = []
        diff = diffs.diff(load_id, process, card_id) if diffs is not None else None
        if diff:
            suggested = diff_suggestions(diff)
        made = packet(process.process, entry, backend.value(process, card_id), known, process.tolerance, suggested)
        packets.append(replace(made, row_diff=diff_summary(diff)) if diff else made)
    return parity_report(process.process, packets)


def propose_explanation(explanations: Explanations, process: str, card_id: str, reason_code: str, note: str,
                        operator: str) -> Explanation:
    explanation = Explanation(card_id, reason_code, note, operator)
    explanations.append(process, explanation)
    return explanation


def approve_explanation(explanations: Explanations, process: str, card_id: str, reason_code: str, operator: str,
                        at: str) -> Explanation:
    """The verified operator (from the request's identity, never from its body) approves a proposed explanation."""
    pending = [e for e in _latest(explanations.all(process)) if e.card_id == card_id and e.reason_code == reason_code]
    if not pending:
        raise NotFound("explanation_not_found", f"no {reason_code} proposed for card {card_id}")
    approved = approve(pending[-1], operator, at)
    explanations.append(process, approved)
    return approved


def _latest(history: Sequence[Explanation]) -> list[Explanation]:
    """The last state of each (card, reason code): an approval appended after its proposal supersedes it."""
    last: dict[tuple[str, str], Explanation] = {}
    for explanation in history:
        last[(explanation.card_id, explanation.reason_code)] = explanation
    return list(last.values())


# --- the kept parity reports with the explanations recorded since (GetParity, the registry's gate) --------------
class ParityReports(Protocol):
    """Kept parity reports, append-only: the latest written is the process's latest."""

    def latest_report(self, process_id: str) -> dict | None:
        """The process's latest kept parity report (as `parity()` made it, with its `load_id`), None when none."""

    def write(self, process_id: str, report: Mapping, report_id: str | None = None) -> str:
        """Keep `report` as the process's latest and return its id (the report's own `report_id` unless given);
        writing again the report that is already the latest adds nothing."""


def current_parity(reports: ParityReports, explanations: Explanations, process_id: str,
                   load_id: str | None = None) -> dict:
    """The process's latest parity report classified again with the explanations recorded since; NotFound when the
    process has none, or when `load_id` is given and the latest report is of another load."""
    kept = reports.latest_report(process_id)
    if kept is None:
        raise NotFound("parity_not_found", f"no parity report for process {process_id}")
    if load_id and kept.get("load_id") != load_id:
        raise NotFound("parity_not_found", f"the latest parity report of {process_id} is not of load {load_id}")
    return reclassify(kept, _latest(explanations.all(process_id)))


class ProcessDefinitions(Protocol):
    def get(self, process_id: str) -> ProcessRecord | None: ...


def parity_for_reader(reports: ParityReports, explanations: Explanations, processes: ProcessDefinitions,
                      process_id: str, load_id: str | None, grant: Grant, operator: bool) -> dict:
    """`current_parity` for a caller whose verified grant covers the process's scope (an operator's identity for a
    process without one); anyone else gets the very NotFound of a process with no report, so a report's existence
    is not told to a caller who may not read it."""
    record = processes.get(process_id)
    if not may_read_parity(record.process if record else None, grant, operator):
        raise NotFound("parity_not_found", f"no parity report for process {process_id}")
    return current_parity(reports, explanations, process_id, load_id)


def propose_for_report(reports: ParityReports, explanations: Explanations, process_id: str, card_id: str,
                       reason_code: str, note: str, operator: str) -> Explanation:
    """Propose an explanation of a card of the process's latest parity report (NotFound for another card)."""
    report = current_parity(reports, explanations, process_id)
    if card_id not in {p["card_id"] for p in report["packets"]}:
        raise NotFound("card_not_found", f"the parity report of {process_id} has no card {card_id}")
    return propose_explanation(explanations, process_id, card_id, reason_code, note, operator)


class ExplainedParityResults:
    """ParityResults (the registry's gate) over the kept reports with the approved explanations applied: once an
    operator approves an explanation, that card no longer holds the process at golden_comparison."""

    def __init__(self, reports: ParityReports, explanations: Explanations) -> None:
        self.reports, self.explanations = reports, explanations

    def latest(self, process_id: str) -> ParityResult | None:
        try:
            report = current_parity(self.reports, self.explanations, process_id)
        except NotFound:
            return None
        return parity_result(report, report["report_id"])
