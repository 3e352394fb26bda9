"""The takeover service offline: what the `leaf` CLI may call on the Domo takeover plane in-process, on its own
database and lake (`leaf takeover …`, `leaf demo`, docs/cli.md). The CLI imports this module and nothing else of
takeover (tests/unit/test_imports.py); the plane's adapters are composed here, from the settings the service reads.

`operator` is the person at this machine (`local:<OS user>`): the OS account that can open the takeover database is
the proof of authority. The plane and its SQL stores are imported on first use only: `leaf --help` stays quick.
"""
from __future__ import annotations

from pathlib import Path

from runtime.settings import load_settings
from services.takeover.domain.backend_values import formula_value as formula_value
from services.takeover.domain.loads import QUARANTINED as QUARANTINED
from services.takeover.domain.parity import BackendValue as BackendValue
from services.takeover.domain.processes import PROOFS as PROOFS
from services.takeover.domain.processes import STATES as STATES
from services.takeover.service_layer.parity import ProcessCards as ProcessCards
from services.takeover.settings import TakeoverStoreSettings


def _settings() -> TakeoverStoreSettings:
    return load_settings(TakeoverStoreSettings)


def open_plane():
    """The takeover plane on the configured database and lake (LEAF_TAKEOVER_*)."""
    from services.takeover.adapters.plane import build_plane

    return build_plane(_settings())


# --- loads ------------------------------------------------------------------------------------------------------
def ingest(path: str | Path, operator: str):
    """The same use case as the service's IngestExport: a Leaf IQ export (folder or .zip) through bronze, silver and
    curated; returns its load report (`summary()`, `status`)."""
    return open_plane().ingest(path, operator)


def ingest_unless_promoted(folder: Path, load_id: str, operator: str) -> dict:
    """An export folder through the plane, unless `load_id` is already promoted with the same content (then the load
    ledger is left alone)."""
    from services.takeover.adapters.bronze_local import hash_file
    from services.takeover.domain.export import ExportFile, content_sha256

    plane = open_plane()
    files = [ExportFile(p.relative_to(folder).as_posix(), *hash_file(p)) for p in sorted(folder.rglob("*")) if p.is_file()]
    if plane.curated.promoted_content(load_id) == content_sha256(files):
        return {"load_id": load_id, "status": "promoted"}
    report = plane.ingest(folder, operator)
    return {"load_id": report.load_id, "status": report.status, "reasons": report.reasons}


def loads() -> list[dict]:
    """Every load in the ledger, as JSON."""
    return [r.as_json() for r in open_plane().curated.loads()]


def replay(load_id: str, card_id: str | None = None) -> list[dict]:
    """Each card's Beast Mode and filters replayed on the load's silver data (docs/beast-modes.md), one entry a
    card; an unknown load or card is a DomainError."""
    from services.takeover.adapters.plane import build_plane
    from services.takeover.adapters.replay_lake import LakeReplay
    from services.takeover.service_layer.replay import replay as replay_cards

    settings = _settings()
    plane = build_plane(settings)
    lake = LakeReplay(plane.files, plane.curated, settings.LEAF_TAKEOVER_DUCKDB_MEMORY, settings.LEAF_TAKEOVER_DUCKDB_THREADS)
    return replay_cards(load_id, lake, lake, card_id)


# --- the takeover-process registry (docs/takeover-states.md) -----------------------------------------------------
def _registry_and_parity():
    """The registry and its gate: the kept parity reports with the approved explanations of the takeover database."""
    from services.takeover.adapters.explanations_sql import SqlExplanations
    from services.takeover.adapters.process_registry import open_process_registry
    from services.takeover.service_layer.parity import ExplainedParityResults

    registry, reports = open_process_registry(_settings())
    explanations = SqlExplanations(registry.engine)
    return registry, ExplainedParityResults(reports, explanations), reports, explanations


def parity(process_id: str, load_id: str | None = None) -> dict:
    """A process's latest parity report (match / explained / unexplained); a DomainError when it has none (of that
    load)."""
    from services.takeover.service_layer.parity import current_parity

    _, _, reports, explanations = _registry_and_parity()
    return current_parity(reports, explanations, process_id, load_id)


def parity_xlsx(report: dict) -> bytes:
    """A parity report as a workbook sheet."""
    from io import BytesIO

    from services.takeover.adapters.parity_xlsx import render_parity_xlsx

    sheet = BytesIO()
    render_parity_xlsx(report, sheet)
    return sheet.getvalue()


def processes(process_id: str | None = None):
    """Every process with its state and proofs present and missing, or one with its history and refusals."""
    from services.takeover.service_layer.processes import list_processes, show_process

    registry, gate, _, _ = _registry_and_parity()
    return show_process(registry, gate, process_id) if process_id else list_processes(registry, gate)


def advance(process_id: str, to_state: str, operator: str, note: str = ""):
    """Move a process to a takeover state; a refusal is a Conflict (nothing changed). Returns the outcome
    (`done`, `as_json()`)."""
    from services.takeover.service_layer.processes import advance as advance_process
    from services.takeover.service_layer.processes import now

    registry, gate, _, _ = _registry_and_parity()
    return advance_process(registry, gate, process_id, to_state, operator, now(), note)


def prove(process_id: str, proof: str, ref: str, operator: str, note: str = ""):
    """Record one of the required proofs of a process; returns it (`as_json()`)."""
    from services.takeover.adapters.process_registry import open_process_registry
    from services.takeover.service_layer.processes import now, record_proof

    registry, _ = open_process_registry(_settings())
    return record_proof(registry, process_id, proof, ref, operator, now(), note)
