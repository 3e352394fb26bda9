"""The offline twin of calc for a golden comparison (`leaf demo`, the tests): the load's silver claims (their silver
names are the claims CSV's columns) written as a claims CSV and calculated by calc's pure domain for the process's
scope, as `leaf calc` does. A composition of two services' public surfaces, so it lives with the CLI, not inside
either service; the running mesh asks calc itself (services/takeover/adapters/calc_mesh.py)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import duckdb

from kernel.packets import ContractPacket, Proposal, RebateEvidence
from kernel.scope import Scope
from services.calc.domain.calculate import calculate
from services.calc.domain.claims import CLAIM_COLUMNS
from services.calc.domain.reading import read_claims
from services.calc.domain.registry import REGISTRY_VERSION
from services.takeover.domain.backend_values import formula_value
from services.takeover.domain.parity import BackendValue
from services.takeover.service_layer.parity import ProcessCards


class OfflineCalcBackend:
    """BackendMetrics over a load's silver claims Parquet, one calculation per scope."""

    def __init__(self, claims_parquet: Path, contract: ContractPacket | None = None,
                 rebates: RebateEvidence | None = None, proposal: Proposal | None = None) -> None:
        self.claims_parquet = claims_parquet
        self.contract, self.rebates, self.proposal = contract, rebates, proposal
        self._results: dict[tuple, dict] = {}

    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        return formula_value(self._result(process), process.cards[card_id], REGISTRY_VERSION)

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
