"""Leaf IQ exports (takeover.md section 1) written to a folder: the shape `leaf takeover ingest` reads.

`write_export` is the one writer: the demo export (demo/takeover/leafiq_export/, `python -m demo.takeover_export`),
the tests' corrupted corpus and the bench's 5M-row export all go through it, so every manifest carries the real
sha256, byte count and row count of what was written.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Dataset:
    dataset_id: str
    name: str
    columns: Sequence[tuple[str, str]]           # (Domo column name, Domo type)
    rows: Iterable[Sequence[str]] = field(default_factory=list)


def _sha256(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _dump(path: Path, value) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> int:
    """Write the CSV (header, then rows) and return the number of data rows."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        buffer: list[Sequence[str]] = []
        for row in rows:
            buffer.append(row)
            if len(buffer) >= 65536:
                writer.writerows(buffer)
                count += len(buffer)
                buffer.clear()
        writer.writerows(buffer)
        count += len(buffer)
    return count


def write_export(folder: Path, datasets: Sequence[Dataset], *, export_id: str = "EX-0001", load_id: str = "LD-0001",
                 cards: Sequence[dict] = (), beast_modes: Sequence[dict] = (), dataflows: Sequence[dict] = (),
                 exported_at: str = "2026-11-01T06:00:00Z", domo_instance: str = "leafhealth") -> dict:
    """Write the export under `folder` and return its manifest (also written as manifest.json)."""
    (folder / "datasets").mkdir(parents=True, exist_ok=True)
    listed_datasets, files = [], []
    for dataset in datasets:
        data = folder / "datasets" / f"{dataset.dataset_id}.csv"
        rows = write_csv(data, [name for name, _ in dataset.columns], dataset.rows)
        _dump(folder / "datasets" / f"{dataset.dataset_id}.schema.json",
              {"columns": [{"name": name, "type": kind} for name, kind in dataset.columns]})
        sha, size = _sha256(data)
        listed_datasets.append({"dataset_id": dataset.dataset_id, "name": dataset.name, "rows": rows,
                                "columns": len(dataset.columns)})
        files.append({"path": f"datasets/{dataset.dataset_id}.csv", "sha256": sha, "bytes": size,
                      "dataset_id": dataset.dataset_id, "rows": rows})
    _dump(folder / "cards.json", list(cards))
    _dump(folder / "beastmodes.json", list(beast_modes))
    _dump(folder / "dataflows.json", list(dataflows))
    manifest = {"export_id": export_id, "load_id": load_id, "exported_at": exported_at, "domo_instance": domo_instance,
                "complete": True, "datasets": listed_datasets, "files": files, "cards": len(cards),
                "beast_modes": len(beast_modes), "dataflows": len(dataflows)}
    _dump(folder / "manifest.json", manifest)
    return manifest


def rewrite_manifest(folder: Path, manifest: dict) -> None:
    _dump(folder / "manifest.json", manifest)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
