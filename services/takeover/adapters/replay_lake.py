"""Replay's view of the lake: cards and Beast Modes from the load's bronze copy, silver Parquet through DuckDB.

Files are read through LakeFiles: the local lake, or (production) the local lake as a verified cache of ADLS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import duckdb

from services.takeover.adapters.bronze_local import bronze_key
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.domain.beast_modes.card import SILVER_VIEW
from services.takeover.domain.beast_modes.objects import BeastMode, Card
from services.takeover.domain.beast_modes.translate import Column
from services.takeover.domain.loads import PROMOTED
from services.takeover.service_layer.ports import LakeFiles
from services.takeover.service_layer.replay import EvaluationError


class LakeReplay:
    """ExportObjects and SilverDatasets over the lake and the service database (docs/takeover.md layout)."""

    def __init__(self, files: LakeFiles, curated: SqlCurated, memory_limit: str = "512MB", threads: int = 2) -> None:
        self.files, self.curated = files, curated
        self.memory_limit, self.threads = memory_limit, threads

    def cards(self, load_id: str) -> list[Card] | None:
        files = self._promoted_files(load_id)
        if files is None:
            return None
        return [Card.from_json(card) for card in self._export_json(files, "cards.json")]

    def beast_modes(self, load_id: str) -> list[BeastMode]:
        return [BeastMode.from_json(mode) for mode in self._export_json(self._promoted_files(load_id) or {}, "beastmodes.json")]

    def columns(self, load_id: str, dataset_id: str) -> Mapping[str, Column] | None:
        dataset = self._dataset(load_id, dataset_id)
        if dataset is None:
            return None
        return {c["name"]: Column(c["silver"], c["domo_type"]) for c in dataset.columns}

    def value(self, load_id: str, dataset_id: str, sql: str) -> object:
        dataset = self._dataset(load_id, dataset_id)
        if dataset is None:
            raise EvaluationError(f"dataset {dataset_id} is not in load {load_id}")
        with duckdb.connect(config={"memory_limit": self.memory_limit, "threads": self.threads}) as con:
            parquet = self.files.local(dataset.parquet_path, dataset.parquet_sha256)
            con.read_parquet(str(parquet)).create_view(SILVER_VIEW)
            try:
                rows = con.execute(sql).fetchall()
            except duckdb.Error as error:
                raise EvaluationError(str(error).strip().splitlines()[0]) from error
        return rows[0][0] if rows else None

    def _dataset(self, load_id: str, dataset_id: str):
        return next((d for d in self.curated.curated_datasets(load_id) if d.dataset_id == dataset_id), None)

    def _promoted_files(self, load_id: str) -> dict[str, str] | None:
        """The promoted ingest's files (path → sha256), None when the load was never promoted."""
        for report in self.curated.load(load_id):
            if report.status == PROMOTED:
                return {f["path"]: f["sha256"] for f in report.files}
        return None

    def _export_json(self, files: Mapping[str, str], path: str) -> list[dict]:
        sha256 = files.get(path)
        if sha256 is None:
            return []
        data = json.loads(self.files.local(bronze_key(sha256), sha256).read_bytes())
        return data if isinstance(data, list) else []
