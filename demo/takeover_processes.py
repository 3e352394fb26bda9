"""The demo's Domo-backed processes (demo/takeover/processes.json) in the takeover-process registry.

`load_demo_processes` defines each process, records its proofs as the demo's operator (only a proof whose reference
changed is recorded again), walks it to its demo state one legal step at a time through the registry's own
`advance` (so the history is real), and writes each process's parity report computed by the golden comparison use
case (services/takeover/service_layer/parity.py) on the demo load, replayed from the lake. The backend's values
are computed here from the export's rows as the calc registry computes them (exact decimals, reversals netted):
a stand-in until a BackendMetrics adapter reads the calc service. Idempotent: a second run changes nothing.
"""
from __future__ import annotations

import csv
import json
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

from demo.takeover_export import CLAIMS_COLUMNS, CLAIMS_DATASET, DEMO_EXPORT_DIR
from services.takeover.domain.parity import BackendValue, Explanation
from services.takeover.domain.processes import STATES, Process
from services.takeover.service_layer.parity import ProcessCards, parity
from services.takeover.service_layer.processes import ParityResults, ProcessRegistry, advance, record_proof

PROCESSES_FILE = Path(__file__).resolve().parent / "takeover" / "processes.json"


def read_processes(path: Path = PROCESSES_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def process_of(entry: Mapping) -> Process:
    return Process(entry["process_id"], entry["name"], entry["owner"], tuple(entry["cards"]),
                   tuple(entry.get("datasets", ())), tuple(entry.get("formulas", ())))


def backend_values(export_dir: Path = DEMO_EXPORT_DIR) -> dict[str, str]:
    """The backend's value of each demo card, from the export's rows: exact decimals, reversals netted."""
    names = [name for name, _ in CLAIMS_COLUMNS]
    with open(export_dir / "datasets" / f"{CLAIMS_DATASET}.csv", newline="", encoding="utf-8") as handle:
        rows = [dict(zip(names, row)) for row in list(csv.reader(handle))[1:]]

    def sign(r):
        return -1 if r["Claim Status"] == "REVERSAL" else 1

    def net(column, rows=rows):
        return sum((sign(r) * Decimal(r[column]) for r in rows), Decimal(0))

    retail = [r for r in rows if r["Channel"] in ("RETAIL_30", "RETAIL_90")]
    awp = sum((sign(r) * Decimal(r["Quantity"]) * Decimal(r["AWP Unit Price"]) for r in retail), Decimal(0))
    claims = sum(sign(r) for r in rows)
    generic = sum(sign(r) for r in rows if r["Brand/Generic"] == "G")
    return {
        "CARD-101": str(net("Plan Paid")), "CARD-102": str(net("Plan Paid")), "CARD-103": str(net("Dispensing Fee Paid")),
        "CARD-104": str(round(1 - net("Ingredient Cost Paid", retail) / awp, 4)),
        "CARD-105": str(round(Decimal(generic) / Decimal(claims), 4)),
        "CARD-106": str(sum(sign(r) for r in rows if r["Brand/Generic"] == "B")),
        "CARD-107": str(net("Member Paid")), "CARD-108": str(net("Days Supply")),
        "CARD-109": str(net("Ingredient Cost Paid") + net("Dispensing Fee Paid")),
    }


class _Backend:
    def __init__(self, values: Mapping[str, str]) -> None:
        self.values = values

    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        formula = process.cards[card_id]
        return BackendValue(formula, "1", self.values.get(card_id))


class _NoExplanations:
    """The demo approves no explanation here: parity shows what an operator still has to explain."""

    def all(self, process: str) -> list[Explanation]:
        return []

    def append(self, process: str, explanation: Explanation) -> None:
        raise NotImplementedError


def load_demo_processes(registry: ProcessRegistry, parity_files, replay_lake, operator: str, at: str,
                        path: Path = PROCESSES_FILE) -> dict:
    """Define, prove, compute parity, then walk each process to its demo state; returns each one's state."""
    spec = read_processes(path)
    load_id = spec["load_id"]
    values = backend_values()
    for entry in spec["processes"]:
        registry.define(process_of(entry), at)
        record = registry.get(entry["process_id"])
        held = record.proofs if record is not None else {}
        for proof, ref in entry.get("proofs", {}).items():
            if proof not in held or held[proof].ref != ref:
                record_proof(registry, entry["process_id"], proof, ref, operator, at, "leaf demo")
        report = parity(load_id, ProcessCards(entry["process_id"], dict(entry["cards"])), replay_lake, replay_lake,
                        _Backend(values), _NoExplanations())
        parity_files.write(entry["process_id"], f"PR-{load_id}", {**report, "load_id": load_id})
    states = {}
    for entry in spec["processes"]:
        states[entry["process_id"]] = walk(registry, parity_files, entry["process_id"], entry["state"], operator, at)
    return states


def walk(registry: ProcessRegistry, parity_results: ParityResults, process_id: str, target: str, operator: str,
         at: str) -> str:
    """Forward one step at a time up to `target` (never back); stops at the first refusal."""
    record = registry.get(process_id)
    assert record is not None
    state = record.state
    while STATES.index(state) < STATES.index(target):
        outcome = advance(registry, parity_results, process_id, STATES[STATES.index(state) + 1], operator, at,
                          "leaf demo")
        if not outcome.done:
            break
        state = outcome.to_state
    return state


def load_demo_processes_here(operator: str) -> dict:
    """`leaf demo`: the demo processes on this machine's takeover database and lake (after the demo export's ingest)."""
    from runtime.settings import load_settings
    from services.takeover.adapters.plane import build_plane
    from services.takeover.adapters.process_registry import ParityReportFiles, SqlProcessRegistry
    from services.takeover.adapters.replay_lake import LakeReplay
    from services.takeover.service_layer.processes import now
    from services.takeover.settings import TakeoverStoreSettings

    settings = load_settings(TakeoverStoreSettings)
    plane = build_plane(settings)
    lake = LakeReplay(plane.lake, plane.curated, settings.LEAF_TAKEOVER_DUCKDB_MEMORY, settings.LEAF_TAKEOVER_DUCKDB_THREADS)
    try:
        return load_demo_processes(SqlProcessRegistry(plane.curated.engine), ParityReportFiles(plane.lake / "parity"),
                                   lake, operator, now())
    finally:
        plane.curated.engine.dispose()
