"""The calc service offline: what the `leaf` CLI may call to calculate in-process, with no mesh (docs/cli.md).

The CLI imports this module and nothing else of calc (tests/unit/test_imports.py): the composition of calc's
domain and adapters for an offline run stays here, beside the service it belongs to. The claims store's
bootstrap is imported on first use only, so `leaf calc` does not load gRPC.
"""
from __future__ import annotations

import csv
import hashlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kernel.errors import DomainError, InputError
from kernel.packets import ContractPacket, Proposal, RebateEvidence
from kernel.scope import Scope
from services.calc.adapters.claims_file import read_claims
from services.calc.adapters.duckdb_validation import Unshaped
from services.calc.adapters.file_aggregates import ValidatedFile
from services.calc.domain.calculate import calculate, calculate_from_aggregates, check_evidence_scope, member_masks
from services.calc.domain.calculate import render as render
from services.calc.domain.claim_eligibility import ClaimReasons, claim_eligibility, judged
from services.calc.domain.claim_lines import ClaimLine, claim_lines, netted_claims, rejects_in_scope
from services.calc.domain.claims import CLAIM_COLUMNS, ClaimsBatch
from services.calc.domain.registry import REGISTRY_VERSION as REGISTRY_VERSION
from services.calc.domain.run import rebates_received_other, run_id_for

# Whatever makes the DuckDB fast path step aside; the pure reader then decides the result or the error.
_FAST_PATH_DECLINED = (Unshaped, DomainError, OSError, ValueError, csv.Error, duckdb.Error)


def read_claims_file(path: Path) -> ClaimsBatch:
    """A claims CSV read by the pure reader (calculations.md 1.1); an unreadable file is an InputError."""
    try:
        return read_claims(path)
    except OSError as exc:
        raise InputError("bad_input:claims", f"cannot read the claims file ({exc.__class__.__name__})") from None


def open_claims(path: Path, scope: Scope) -> ValidatedFile | ClaimsBatch:
    """A claims CSV ready to calculate: validated in an in-memory DuckDB (the store's aggregate SQL) when it can
    vouch for the file, else read by the pure reader. Opened before the evidence is parsed, so an unreadable
    claims file is the error reported first."""
    return _claims(path, scope)


def calculate_file(claims: ValidatedFile | ClaimsBatch, path: Path, scope: Scope, contract: ContractPacket | None,
                   rebates: RebateEvidence | None, proposal: Proposal | None) -> dict:
    """The result of the claims `open_claims` gave for `path`; any input error raises InputError. On any DuckDB
    failure the pure reader computes the same bytes."""
    check_evidence_scope(scope, contract, rebates)
    if isinstance(claims, ValidatedFile):
        fast = claims
        try:
            return calculate_from_aggregates(fast.facts(scope, member_masks(contract)), scope, contract, rebates, proposal)
        except duckdb.Error:  # e.g. a value too wide for the store's DECIMAL types
            claims = read_claims_file(path)
        finally:
            fast.close()
    return calculate(claims, scope, contract, rebates, proposal)


def _claims(path: Path, scope: Scope) -> ValidatedFile | ClaimsBatch:
    try:
        return ValidatedFile(path, scope)
    except _FAST_PATH_DECLINED:
        return read_claims_file(path)


@dataclass(frozen=True)
class EvidenceFile:
    """One evidence document of an offline run and the file it was read from (its SHA-256 is the reference)."""
    path: Path
    document: Any  # a ContractPacket, RebateEvidence or Proposal
    kind: str  # contract_packet | rebate_evidence | proposal
    id_field: str  # the document's id attribute


@dataclass(frozen=True)
class OfflineRun:
    """A run as the calc service would make it from the same files: its id, result, lineage, the rejected rows in
    scope as (row, reason), and the netted claim lines judged by the rules the formulas applied — a callable, as
    each artifact that shows them streams them once."""
    run_id: str
    result: dict
    lineage: dict
    rejected: tuple[tuple[int, str], ...]
    claims: Callable[[], Iterator[tuple[ClaimLine, ClaimReasons]]]


def offline_run(batch: ClaimsBatch, scope: Scope, contract: ContractPacket | None, rebates: RebateEvidence | None,
                proposal: Proposal | None, evidence: list[EvidenceFile], created_at: str) -> OfflineRun:
    """The run id is derived exactly as the calc service derives it; evidence — a proposal too — is referenced by
    the SHA-256 of its file, which is the sha256 the evidence service records for the same file, so a run with a
    proposal has the service's run id and never the one without it."""
    check_evidence_scope(scope, contract, rebates)
    result = calculate(batch, scope, contract, rebates, proposal)
    refs = [_reference(e) for e in evidence if e.document is not None]
    run_id = run_id_for(scope.scope_hash, REGISTRY_VERSION, batch.sha256, [e["sha256"] for e in refs], "")
    lineage = {
        "run_id": run_id, "scope_hash": scope.scope_hash, "registry_version": REGISTRY_VERSION,
        "formulas": [{"formula_id": f["id"], "version": f["version"]} for f in result["formulas"]],
        "input_hashes": {"claims_sha256": batch.sha256, **{f"{e['kind']}_sha256": e["sha256"] for e in refs}},
        "evidence": refs, "trace_id": "", "itr_request_id": "", "claims_snapshot_id": "", "created_at": created_at,
        "rebates_received_other": rebates_received_other(contract, rebates),
    }
    rejected = tuple((r.row, r.reason) for r in rejects_in_scope(batch.rejects, scope))
    netted = claim_lines(netted_claims(batch, scope))  # awp_ext and places exactly as the stores give them
    eligibility = claim_eligibility(contract, proposal)  # the rules the formulas applied, claim by claim
    return OfflineRun(run_id, result, lineage, rejected, lambda: judged(netted, eligibility))


def _reference(evidence: EvidenceFile) -> dict:
    document = evidence.document
    return {"evidence_id": getattr(document, evidence.id_field), "kind": evidence.kind,
            "governance": document.governance,
            "sha256": hashlib.sha256(evidence.path.read_bytes()).hexdigest(), "version": 0}


def calculate_silver(claims_parquet: Path, scope: Scope, contract: ContractPacket | None,
                     rebates: RebateEvidence | None, proposal: Proposal | None) -> dict:
    """The result of a takeover load's silver claims (their silver names are the claims CSV's columns), written as
    a claims CSV and calculated as `leaf calc` calculates one."""
    with tempfile.TemporaryDirectory(prefix="leaf-parity-") as scratch:
        csv_path = Path(scratch) / "claims.csv"
        _write_claims(claims_parquet, csv_path)
        batch = read_claims(csv_path)
    return calculate(batch, scope, contract, rebates, proposal)


def _write_claims(claims_parquet: Path, target: Path) -> None:
    columns = ", ".join(f'"{c}"' for c in CLAIM_COLUMNS)
    source = str(claims_parquet).replace("'", "''")
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT {columns} FROM read_parquet('{source}') ORDER BY _bronze_row) "
                    f"TO '{str(target).replace(chr(39), chr(39) * 2)}' (HEADER, DELIMITER ',')")


def load_claims(file: Path, progress=None):
    """Load a claims CSV as the new active snapshot of the configured claims store (LEAF_CLAIMS_URL)."""
    return _claims_store().load(file, progress)


def claims_snapshot():
    """The configured claims store's active snapshot, or None when nothing is loaded."""
    return _claims_store().snapshot()


def _claims_store():
    from services.calc.bootstrap import default_claims_url, open_claims_store  # gRPC and the stores: on use only

    return open_claims_store(default_claims_url())
