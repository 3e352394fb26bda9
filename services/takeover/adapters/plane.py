"""The takeover plane's adapters built from settings: used by the service's bootstrap and by `leaf takeover`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from runtime.db import open_database
from services.takeover.adapters.bronze_local import LocalBronze
from services.takeover.adapters.curated_sql import SqlCurated
from services.takeover.adapters.export_reader import open_export
from services.takeover.adapters.lake_local import LocalLakeFiles
from services.takeover.adapters.silver_duckdb import DuckDbLake
from services.takeover.domain.loads import LoadReport
from services.takeover.service_layer.ingest import ingest_export
from services.takeover.service_layer.ports import BronzeStore, LakeFiles, SharedLake
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
    shared: SharedLake | None = None   # None: the local lake is the only one
    files: LakeFiles = field(default=None)  # type: ignore[assignment]  # readers' way in; default the local lake

    def __post_init__(self) -> None:
        if self.files is None:
            self.files = LocalLakeFiles(self.lake)

    def ingest(self, path: str | Path, operator: str) -> LoadReport:
        with open_export(path, scratch=self.lake / ".tmp") as export:
            return ingest_export(export, self.bronze, self.silver, self.curated, operator, shared=self.shared)


def build_plane(settings: TakeoverStoreSettings, engine: Engine | None = None) -> Plane:
    lake = settings.lake()
    silver = DuckDbLake(lake, settings.LEAF_TAKEOVER_DUCKDB_MEMORY, settings.LEAF_TAKEOVER_DUCKDB_THREADS)
    curated = SqlCurated(engine or open_takeover_db(settings.LEAF_TAKEOVER_DB_URL))
    if not settings.LEAF_TAKEOVER_ADLS_URL:
        return Plane(lake, LocalBronze(lake), silver, curated)
    # One file system for every replica: bronze and promoted silver there, the local lake a verified cache.
    from services.takeover.adapters.bronze_adls import AdlsBronze
    from services.takeover.adapters.lake_adls import AdlsLakeFiles, AdlsSharedLake, adls_filesystem
    filesystem = adls_filesystem(settings.LEAF_TAKEOVER_ADLS_URL, settings.LEAF_TAKEOVER_ADLS_FILESYSTEM)
    return Plane(lake, AdlsBronze(filesystem), silver, curated, AdlsSharedLake(lake, filesystem),
                 AdlsLakeFiles(lake, filesystem))
