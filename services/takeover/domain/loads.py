"""A load: one ingest of an export and its outcome (the load ledger's entry and the CLI's report)."""
from __future__ import annotations

from dataclasses import dataclass, field

PROMOTED, QUARANTINED, UNCHANGED = "promoted", "quarantined", "unchanged"


@dataclass(frozen=True)
class DatasetRows:
    dataset_id: str
    rows: int

    def as_json(self) -> dict:
        return {"dataset_id": self.dataset_id, "rows": self.rows}


@dataclass
class LoadReport:
    ingest_id: str
    load_id: str | None
    export_id: str | None
    status: str
    reasons: list[str]
    datasets: list[DatasetRows]
    content_sha256: str
    ingested_at: str
    ingested_by: str
    source: str = ""                                        # the export's file or folder name (no path)
    files: list[dict] = field(default_factory=list)         # {"path", "sha256", "bytes"}: the bronze copy
    rejected: dict[str, dict] = field(default_factory=dict)  # dataset id → {"count", "rows": [first ones]}
    promoted_at: str | None = None
    promoted_by: str | None = None

    def summary(self) -> dict:
        """What `leaf takeover ingest` prints (issue #13 item 3), exactly these keys."""
        return {"load_id": self.load_id, "status": self.status, "reasons": list(self.reasons),
                "datasets": [d.as_json() for d in self.datasets]}

    def as_json(self) -> dict:
        return {"ingest_id": self.ingest_id, **self.summary(), "export_id": self.export_id,
                "content_sha256": self.content_sha256, "ingested_at": self.ingested_at,
                "ingested_by": self.ingested_by, "source": self.source, "files": self.files,
                "rejected": self.rejected, "promoted_at": self.promoted_at, "promoted_by": self.promoted_by}

    @classmethod
    def from_json(cls, data: dict) -> LoadReport:
        return cls(ingest_id=data["ingest_id"], load_id=data.get("load_id"), export_id=data.get("export_id"),
                   status=data["status"], reasons=list(data.get("reasons", [])),
                   datasets=[DatasetRows(d["dataset_id"], d["rows"]) for d in data.get("datasets", [])],
                   content_sha256=data.get("content_sha256", ""), ingested_at=data.get("ingested_at", ""),
                   ingested_by=data.get("ingested_by", ""), source=data.get("source", ""),
                   files=list(data.get("files", [])), rejected=dict(data.get("rejected", {})),
                   promoted_at=data.get("promoted_at"), promoted_by=data.get("promoted_by"))


@dataclass(frozen=True)
class CuratedDataset:
    """One promoted dataset: its silver file, referenced from curated (docs/takeover.md, why not SQL rows)."""

    dataset_id: str
    rows: int
    parquet_path: str        # relative to the lake
    parquet_sha256: str
    bronze_sha256: str
    columns: list[dict]      # SilverColumn.as_json() each
