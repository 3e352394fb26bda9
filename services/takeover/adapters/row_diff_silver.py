"""RowDiffs of one calc run against a load's silver dataset (service_layer/parity.RowDiffs), inside DuckDB.

The Domo side is the card's silver dataset narrowed to the process's scope (client, PBM, TPA when set, fill date
range, groups when named); the backend side is the run's netted claims (adapters/calc_mesh.py). Both are keyed on
claim id and compared on a few columns both sides have, cast to the same types: the claim's status (every netted
claim is PAID; Domo's rows may be reversals or reversed), fill date, days supply, ingredient cost and dispensing
fee paid. No member id or other person's field is compared, so none can reach a report (domain diff_summary keeps
only the key and these columns). A dataset without these silver columns has no diff (None), never a wrong one.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import duckdb

from services.takeover.adapters.calc_mesh import CLAIM_FIELDS
from services.takeover.adapters.row_diff_duckdb import row_diff
from services.takeover.domain.loads import CuratedDataset
from services.takeover.domain.processes import process_scope
from services.takeover.service_layer.parity import ProcessCards
from services.takeover.service_layer.ports import LakeFiles
from services.takeover.service_layer.replay import ExportObjects

KEY = "claim_id"
STATUS = "status"  # what domain diff_suggestions reads (REVERSAL rows only Domo has)
COMPARED = (STATUS, "fill_date", "days_supply", "ingredient_cost_paid", "dispensing_fee_paid")
# The silver columns the Domo side needs: the key, the scope's fields and the compared ones (status as claim_status).
SILVER_STATUS = "claim_status"
SCOPE_COLUMNS = ("client_id", "pbm_id", "group_id", "fill_date")


class CuratedDatasets(Protocol):
    def curated_datasets(self, load_id: str) -> list[CuratedDataset]: ...


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SilverRowDiffs:
    def __init__(self, files: LakeFiles, curated: CuratedDatasets, exports: ExportObjects, backend_claims: Path,
                 memory_limit: str = "512MB", threads: int = 2) -> None:
        self.files, self.curated, self.exports, self.backend_claims = files, curated, exports, backend_claims
        self.memory_limit, self.threads = memory_limit, threads
        self._made: dict[tuple[str, str], dict | None] = {}  # (load, dataset) → its diff: cards often share one

    def diff(self, load_id: str, process: ProcessCards, card_id: str) -> dict | None:
        card = next((c for c in self.exports.cards(load_id) or [] if c.card_id == card_id), None)
        if card is None:
            return None
        key = (load_id, card.dataset_id)
        if key not in self._made:
            dataset = next((d for d in self.curated.curated_datasets(load_id) if d.dataset_id == card.dataset_id),
                           None)
            self._made[key] = None if dataset is None else self._diff(dataset, process.scope)
        return self._made[key]

    def _diff(self, dataset: CuratedDataset, scope_fields: Mapping[str, str]) -> dict | None:
        silver = {c["silver"] for c in dataset.columns}
        needed = {KEY, SILVER_STATUS, *SCOPE_COLUMNS, *COMPARED[1:]} | ({"tpa_id"} if scope_fields.get("tpa_id") else set())
        if not needed <= silver:
            return None
        scope = process_scope(scope_fields)
        where = [f"client_id = {_lit(scope.client_id)}", f"pbm_id = {_lit(scope.pbm_id)}",
                 f"fill_date BETWEEN DATE {_lit(scope.date_from.isoformat())} AND DATE {_lit(scope.date_to.isoformat())}"]
        if scope.group_ids:
            where.append(f"group_id IN ({', '.join(_lit(g) for g in scope.group_ids)})")
        if scope.tpa_id is not None:
            where.append(f"tpa_id = {_lit(scope.tpa_id)}")
        parquet = self.files.local(dataset.parquet_path, dataset.parquet_sha256)
        typed = ", ".join(f"CAST({_ident(c)} AS {CLAIM_FIELDS[c]}) AS {_ident(c)}" for c in COMPARED[1:])
        with duckdb.connect(config={"memory_limit": self.memory_limit, "threads": self.threads}) as con:
            con.execute(f"CREATE VIEW domo AS SELECT CAST({KEY} AS VARCHAR) AS {KEY}, "
                        f"CAST({SILVER_STATUS} AS VARCHAR) AS {STATUS}, {typed} "
                        f"FROM read_parquet({_lit(str(parquet))}) WHERE {' AND '.join(where)}")
            con.execute(f"CREATE VIEW backend AS SELECT {KEY}, 'PAID' AS {STATUS}, "
                        f"{', '.join(_ident(c) for c in COMPARED[1:])} "
                        f"FROM read_parquet({_lit(str(self.backend_claims))})")
            return {**row_diff(con, "domo", "backend", KEY, COMPARED), "columns": list(COMPARED)}
