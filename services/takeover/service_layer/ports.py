"""What the takeover use cases need from outside (style.md 11): the export, bronze, silver and the curated database."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from services.takeover.domain.columns import SilverColumn
from services.takeover.domain.export import DatasetFacts, ExportFile
from services.takeover.domain.loads import CuratedDataset, LoadReport


class ExportReader(Protocol):
    """An export opened for reading: a folder, or a .zip extracted to a temporary folder."""

    name: str  # the folder's or the zip's own name, for the report

    def paths(self) -> list[str]:
        """Every file, relative and '/'-separated, sorted."""

    def local_path(self, path: str) -> Path: ...

    def read(self, path: str) -> bytes | None:
        """A small file's bytes (manifest, schema, beastmodes.json), None when absent."""


class BronzeStore(Protocol):
    def hash(self, source: Path) -> ExportFile:
        """The file's sha256 and size (`path` left for the caller to fill in)."""

    def store(self, source: Path, sha256: str) -> None:
        """Keep the file under `sha256` unless that is there already (never overwritten, nothing written then);
        Conflict `export_changed` when the bytes read now are not the bytes that were hashed."""


class SilverLake(Protocol):
    """The DuckDB work on the export's CSVs and the silver folder of the lake."""

    def profile(self, csv: Path, columns: Sequence[tuple[str, str]]) -> DatasetFacts:
        """Count the data rows, find each DECIMAL column's scale and the rows a value of which does not convert.
        `columns` = the CSV header's names with their Domo types (as the header orders them)."""

    def header(self, csv: Path) -> list[str] | None: ...

    def stage(self, ingest_id: str, dataset_id: str, load_id: str, csv: Path, bronze_sha256: str,
              columns: Sequence[SilverColumn]) -> CuratedDataset:
        """Write the dataset's silver Parquet and column map under the ingest's staging folder."""

    def promoting(self, load_id: str) -> AbstractContextManager[None]:
        """Held while a load id is published and promoted: one ingest of a load id at a time on this lake."""

    def publish(self, ingest_id: str, load_id: str) -> None:
        """Move the staged folder to silver/<load_id>/ (replacing an unpromoted leftover)."""

    def discard(self, ingest_id: str) -> None: ...


class SharedLake(Protocol):
    """The lake every replica reads (production: ADLS Gen2). Locally the pod's own lake is the only one."""

    def share(self, objects: Mapping[str, str]) -> None:
        """Copy these lake keys (`silver/<load_id>/<dataset_id>.parquet` → its sha256) from the local lake to the
        shared one, each whole or not at all and only as the bytes of that sha256, replacing what is there: called
        before the curated commit that names them, so curated never names an object the shared lake lacks."""


class LakeFiles(Protocol):
    """Readers' access to the lake: a local path for a key whose sha256 curated (or the ledger) recorded."""

    def local(self, key: str, sha256: str) -> Path:
        """The file on this pod's disk, fetched from the shared lake first when absent here (and then verified:
        Conflict `lake_object_corrupt` when its bytes do not hash to `sha256`, NotFound `lake_object_missing`)."""


class Curated(Protocol):
    """The service database: curated loads (promoted whole, one transaction) and the load ledger."""

    def promoting(self, load_id: str) -> AbstractContextManager[None]:
        """Hold the load id's lock across every replica sharing the database while a promotion is decided."""

    def promoted_content(self, load_id: str) -> str | None: ...

    def last_schemas(self, dataset_ids: Sequence[str]) -> Mapping[str, Mapping[str, str]]:
        """Each dataset's columns (original name → Domo type) in its last promoted load."""

    def promote(self, report: LoadReport, datasets: Sequence[CuratedDataset]) -> None:
        """The curated load, its datasets and the ledger entry, in ONE transaction."""

    def record(self, report: LoadReport) -> None:
        """A ledger entry for a load that was not promoted (quarantined or unchanged)."""

    def loads(self) -> list[LoadReport]: ...

    def load(self, load_id: str) -> list[LoadReport]:
        """Every ingest of this load id, newest first."""
