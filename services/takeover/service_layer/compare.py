"""CompareParity (issue #13 item 5, takeover.md section 4) in the running mesh: the golden comparison made now —
the load's cards replayed from the lake, the backend's values from calc's run of the process's exact scope, the
run's netted claims diffed row by row against the load's silver rows of that scope — kept as the process's latest
parity report and answered classified with the explanations recorded so far."""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kernel.errors import InputError, NotFound, Refused
from kernel.grants import Grant
from kernel.scope import Scope
from services.takeover.domain.backend_values import formula_value
from services.takeover.domain.parity import BackendValue, Explanation
from services.takeover.domain.processes import Process, process_scope
from services.takeover.service_layer.parity import (
    Explanations,
    ParityReports,
    ProcessCards,
    RowDiffs,
    current_parity,
    parity,
)
from services.takeover.service_layer.replay import ExportObjects, SilverDatasets


@dataclass(frozen=True)
class BackendRun:
    """calc's run of a scope: its id, its result document (calculations.md section 5), the registry version it
    was computed under, and its netted claims as a Parquet file (claim id and compared columns, no member id)
    that lives as long as the run's context."""

    run_id: str
    result: Mapping
    registry_version: str
    claims: Path


class CalcRuns(Protocol):
    def run(self, scope: Mapping[str, str], timeout: float) -> AbstractAsyncContextManager[BackendRun]:
        """calc.CreateRun of the exact scope and the run's netted claims written to a scratch file, removed when the
        context ends; calc's refusal (a grant that does not cover the scope, say) as it answered."""


class ResultBackend:
    """BackendMetrics over one run's result document: each card reads its `formula_id.field` (domain mapping)."""

    def __init__(self, made: BackendRun) -> None:
        self.made = made

    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        return formula_value(self.made.result, process.cards[card_id], self.made.registry_version)


class _RawComparison:
    """The kept report is the raw comparison: explanations are applied when it is read (current_parity), as the
    demo keeps it, so a later approval or withdrawal is never baked into a kept report."""

    def all(self, process: str) -> list[Explanation]:
        return []

    def append(self, process: str, explanation: Explanation) -> None:
        raise NotImplementedError


def require_exact_grant(grant: Grant, fields: Mapping[str, str]) -> Scope:
    """The caller's verified grant is an exact grant of the process's own scope — the same scope_hash, nothing wider
    (a read grant) or narrower — since the comparison computes and reads that whole scope."""
    scope = process_scope(fields)
    if grant.scope_hash != scope.scope_hash:
        raise Refused("scope_grant_not_exact", "comparing a process needs an exact grant of the process's scope")
    return scope


def process_cards(process: Process) -> ProcessCards:
    """The registry's definition as the comparison reads it: each card's formula field and the backend scope."""
    cards = dict(process.card_formulas)
    if not cards:
        raise InputError("process_without_cards", f"{process.process_id} names no card with its formula field")
    if not process.scope:
        raise InputError("process_without_scope", f"{process.process_id} has no backend scope to compare for")
    return ProcessCards(process.process_id, cards, scope=dict(process.scope))


async def compare_parity(process: ProcessCards, load_id: str, exports: ExportObjects, silver: SilverDatasets,
                         calc: CalcRuns, row_diffs: Callable[[BackendRun], RowDiffs], reports: ParityReports,
                         explanations: Explanations, operator: str, timeout: float) -> dict:
    """Make, keep and answer the process's parity report of `load_id` (NotFound when the load was never promoted
    or lacks one of the process's cards). The kept report records the calc run it compared with (`run_id`) and the
    verified operator who asked for it (`made_by`)."""
    if not load_id:
        raise InputError("bad_input:load_id", "a parity comparison names the promoted load to compare")
    if await asyncio.to_thread(exports.cards, load_id) is None:  # before asking calc for anything
        raise NotFound("load_not_found", f"no promoted load {load_id}")
    async with calc.run(process.scope, timeout) as made:
        report = await asyncio.to_thread(parity, load_id, process, exports, silver, ResultBackend(made),
                                         _RawComparison(), row_diffs(made))
    kept = {**report, "load_id": load_id, "run_id": made.run_id, "made_by": operator}
    await asyncio.to_thread(reports.write, process.process, kept)
    return await asyncio.to_thread(current_parity, reports, explanations, process.process)
