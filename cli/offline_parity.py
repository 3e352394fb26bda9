"""The offline twin of calc for a golden comparison (`leaf demo`, the tests): the load's silver claims calculated by
calc's offline entrypoint for the process's scope, as `leaf calc` does, each card's value read by the takeover
service's own mapping. A composition of two services' public surfaces (services/calc/offline.py,
services/takeover/offline.py), so it lives with the CLI, not inside either service; the running mesh asks calc
itself (services/takeover/adapters/calc_mesh.py)."""
from __future__ import annotations

from pathlib import Path

from kernel.packets import ContractPacket, Proposal, RebateEvidence
from kernel.scope import Scope
from services.calc import offline as calc
from services.takeover.offline import BackendValue, ProcessCards, formula_value


class OfflineCalcBackend:
    """BackendMetrics over a load's silver claims Parquet, one calculation per scope."""

    def __init__(self, claims_parquet: Path, contract: ContractPacket | None = None,
                 rebates: RebateEvidence | None = None, proposal: Proposal | None = None) -> None:
        self.claims_parquet = claims_parquet
        self.contract, self.rebates, self.proposal = contract, rebates, proposal
        self._results: dict[tuple, dict] = {}

    def value(self, process: ProcessCards, card_id: str) -> BackendValue:
        return formula_value(self._result(process), process.cards[card_id], calc.REGISTRY_VERSION)

    def _result(self, process: ProcessCards) -> dict:
        scope = process.scope
        key = tuple(sorted((k, str(v)) for k, v in scope.items()))
        if key not in self._results:
            groups = tuple(g for g in scope.get("group_ids", "").split(",") if g)  # comma-separated
            parsed = Scope.parse(scope["client_id"], scope["pbm_id"], scope["date_from"], scope["date_to"],
                                 scope.get("tpa_id"), groups)
            self._results[key] = calc.calculate_silver(self.claims_parquet, parsed, self.contract, self.rebates,
                                                       self.proposal)
        return self._results[key]
