"""BackendMetrics through the offline calc twin: the load's silver claims (their silver names are the claims CSV's
columns) written as a claims CSV and calculated by the calc domain for the process's scope, as `leaf calc` does."""
from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import duckdb

from runtime.packets import ContractPacket, Proposal, RebateEvidence
from runtime.scope import Scope
from services.calc.domain.calculate import calculate
from services.calc.domain.claims import CLAIM_COLUMNS
from services.calc.domain.reading import read_claims
from services.calc.domain.registry import REGISTRY_VERSION
from services.takeover.domain.parity import BackendValue
from services.takeover.service_layer.parity import ProcessCards


class OfflineCalcBackend:
    def __init__(self, claims_parquet: Path, contract: ContractPacket | None = None,
                 rebates: RebateEvidence | None = None, proposal: Proposal | None = None) -> None:
        self.claims_parquet = claims_parquet
        self.contract, self.rebates, self.proposal = contract, rebates, proposal
        self._results: dict[tuple, dict] = {}

    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        """`formula_id.field`: a summary field of the formula, else the field summed over its buckets; None when
        the formula is absent or blocked (no contract evidence, say)."""
        formula_id, _, name = process.cards[card_id].partition(".")
        result = self._result(process)
        formula = next((f for f in result["formulas"] if f["id"] == formula_id), None)
        if formula is None or formula.get("status") == "blocked":
            return BackendValue(process.cards[card_id], REGISTRY_VERSION, None)
        version = str(formula.get("version", REGISTRY_VERSION))
        if name in formula:
            value = formula[name]
            return BackendValue(process.cards[card_id], version, None if value is None else str(value))
        buckets = [b.get(name) for b in formula.get("buckets", []) if b.get(name) is not None]
        total = sum((Decimal(str(v)) for v in buckets), Decimal(0)) if buckets else None
        return BackendValue(process.cards[card_id], version, None if total is None else format(total, "f"))

    def _result(self, process: ProcessCards) -> dict:
        scope = process.scope
        key = tuple(sorted((k, str(v)) for k, v in scope.items()))
        if key not in self._results:
            groups = tuple(g for g in scope.get("group_ids", "").split(",") if g)  # comma-separated
            parsed = Scope.parse(scope["client_id"], scope["pbm_id"], scope["date_from"], scope["date_to"],
                                 scope.get("tpa_id"), groups)
            with tempfile.TemporaryDirectory(prefix="leaf-parity-") as scratch:
                csv_path = Path(scratch) / "claims.csv"
                self._write_claims(csv_path)
                batch = read_claims(csv_path)
            self._results[key] = calculate(batch, parsed, self.contract, self.rebates, self.proposal)
        return self._results[key]

    def _write_claims(self, target: Path) -> None:
        columns = ", ".join(f'"{c}"' for c in CLAIM_COLUMNS)
        source = str(self.claims_parquet).replace("'", "''")
        with duckdb.connect() as con:
            con.execute(f"COPY (SELECT {columns} FROM read_parquet('{source}') ORDER BY _bronze_row) "
                        f"TO '{str(target).replace(chr(39), chr(39) * 2)}' (HEADER, DELIMITER ',')")
