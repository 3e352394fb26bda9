"""The demo's Domo-backed processes (demo/takeover/processes.json) in the takeover-process registry.

`load_demo_processes` keeps each process's parity report, computed by the golden comparison use case
(services/takeover/service_layer/parity.py) on the demo load replayed from the lake, with the offline calc twin
over the load's silver claims as the backend (cli/offline_parity.py: no contract evidence in the demo, so only
generic_dispensing_rate has a backend value); defines each process; records its proofs as the demo's operator
(only a proof whose reference changed is recorded again); and walks it to its demo state one legal step at a time
through the registry's own `advance` (so the history is real). Idempotent: a second run changes nothing.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from services.takeover.domain.parity import Explanation
from services.takeover.domain.processes import STATES, Process
from services.takeover.service_layer.parity import ExplainedParityResults, Explanations, ProcessCards, parity
from services.takeover.service_layer.processes import ParityResults, ProcessRegistry, advance, record_proof

PROCESSES_FILE = Path(__file__).resolve().parent / "takeover" / "processes.json"


def read_processes(path: Path = PROCESSES_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def process_of(entry: Mapping, scope: Mapping[str, str] | None = None) -> Process:
    """The registry's definition of a process of the file: its own `scope` if it has one, else the file's."""
    return Process(entry["process_id"], entry["name"], entry["owner"], tuple(entry["cards"]),
                   tuple(entry.get("datasets", ())), tuple(entry.get("formulas", ())), dict(entry["cards"]),
                   dict(entry.get("scope") or scope or {}))


class _NoExplanations:
    """The kept report is the raw comparison (no explanation applied): the explanations operators record in the
    takeover database are applied when it is read (service_layer/parity.current_parity, ExplainedParityResults)."""

    def all(self, process: str) -> list[Explanation]:
        return []

    def append(self, process: str, explanation: Explanation) -> None:
        raise NotImplementedError


def load_demo_processes(registry: ProcessRegistry, parity_files, replay_lake, backend, operator: str, at: str,
                        path: Path = PROCESSES_FILE, explanations: Explanations | None = None) -> dict:
    """Parity, definition and proofs, then walk each process to its demo state; returns each one's state.
    `backend`: the BackendMetrics of the load (OfflineCalcBackend over its silver claims)."""
    spec = read_processes(path)
    load_id = spec["load_id"]
    for entry in spec["processes"]:
        cards = ProcessCards(entry["process_id"], dict(entry["cards"]), scope=dict(spec["scope"]))
        report = parity(load_id, cards, replay_lake, replay_lake, backend, _NoExplanations())
        report_id = parity_files.write(entry["process_id"], {**report, "load_id": load_id})
        registry.define(process_of(entry, spec["scope"]), at)
        record = registry.get(entry["process_id"])
        held = record.proofs if record is not None else {}
        for proof, ref in entry.get("proofs", {}).items():
            ref = ref.replace("$parity_report_id", report_id)
            if proof not in held or held[proof].ref != ref:
                record_proof(registry, entry["process_id"], proof, ref, operator, at, "leaf demo")
    states = {}
    gate = parity_files if explanations is None else ExplainedParityResults(parity_files, explanations)
    for entry in spec["processes"]:
        states[entry["process_id"]] = walk(registry, gate, entry["process_id"], entry["state"], operator, at)
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
    from services.takeover.adapters.explanations_sql import SqlExplanations
    from services.takeover.adapters.parity_reports_sql import SqlParityReports
    from services.takeover.adapters.plane import build_plane
    from services.takeover.adapters.process_registry import SqlProcessRegistry
    from services.takeover.adapters.replay_lake import LakeReplay
    from services.takeover.service_layer.processes import now
    from services.takeover.settings import TakeoverStoreSettings

    settings = load_settings(TakeoverStoreSettings)
    plane = build_plane(settings)
    lake = LakeReplay(plane.files, plane.curated, settings.LEAF_TAKEOVER_DUCKDB_MEMORY, settings.LEAF_TAKEOVER_DUCKDB_THREADS)
    try:
        return load_demo_processes(SqlProcessRegistry(plane.curated.engine), SqlParityReports(plane.curated.engine),
                                   lake, demo_backend(plane), operator, now(),
                                   explanations=SqlExplanations(plane.curated.engine))
    finally:
        plane.curated.engine.dispose()


def demo_backend(plane):
    """The offline calc twin over the demo load's silver claims."""
    from cli.offline_parity import OfflineCalcBackend
    from demo.takeover_export import DEMO_LOAD_ID

    [dataset] = plane.curated.curated_datasets(read_processes()["load_id"] or DEMO_LOAD_ID)
    return OfflineCalcBackend(plane.files.local(dataset.parquet_path, dataset.parquet_sha256))
