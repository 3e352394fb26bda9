"""The takeover plane's adapters built from settings: used by the service's bootstrap and by `leaf takeover`."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from runtime.db import open_database
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.export_reader import open_export
from services.takeover.adapters.silver_duckdb import DuckDbLake
from services.takeover.domain.loads import LoadReport
from services.takeover.service_layer.ingest import ingest_export
from services.takeover.service_layer.ports import BronzeStore
from services.takeover.settings import TakeoverStoreSettings

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def open_takeover_db(url: str) -> Engine:
    return open_database(url, "takeover", MIGRATIONS)


@dataclass
class Plane:
    lake: Path
    bronze: BronzeStore
    silver: DuckDbLake
    curated: SqlCurated

    def ingest(self, path: str | Path, operator: str) -> LoadReport:
        with open_export(path, scratch=self.lake / ".tmp") as export:
            return ingest_export(export, self.bronze, self.silver, self.curated, operator)


def build_plane(settings: TakeoverStoreSettings, engine: Engine | None = None) -> Plane:
    lake = settings.lake()
    bronze: BronzeStore
    if settings.LEAF_TAKEOVER_ADLS_URL:
        from services.takeover.adapters.bronze_adls import AdlsBronze
        bronze = AdlsBronze.from_settings(settings)
    else:
        bronze = LocalBronze(lake)
    return Plane(lake, bronze, DuckDbLake(lake, settings.LEAF_TAKEOVER_DUCKDB_MEMORY, settings.LEAF_TAKEOVER_DUCKDB_THREADS),
                 SqlCurated(engine or open_takeover_db(settings.LEAF_TAKEOVER_DB_URL)))
