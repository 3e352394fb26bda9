"""Leaf IQ exports for the takeover tests: a small valid one, ways to corrupt it, and a dump of curated."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import Engine, text

from demo.takeover_export import Dataset, rewrite_manifest, write_export

CLAIMS = [("Claim ID", "STRING"), ("Claim Status", "STRING"), ("Fill Date", "DATE"), ("Days Supply", "LONG"),
          ("Plan Paid", "DECIMAL"), ("AWP Ratio", "DOUBLE"), ("Loaded At", "DATETIME")]
MEMBERS = [("Member ID", "STRING"), ("Group ID", "STRING"), ("Age", "LONG")]


def claim_rows(n: int, offset: int = 0):
    for i in range(offset, offset + n):
        yield [f"CLM{i:07d}", "REVERSAL" if i % 50 == 49 else "PAID", f"2025-{i % 12 + 1:02d}-{i % 28 + 1:02d}",
               str(30 + i % 60), f"{(i * 37) % 10000 / 100:.2f}", f"{(i % 7) / 8}", "2025-12-31T06:00:00Z"]


def beast_modes(claims: str = "ds-claims") -> list[dict]:
    def mode(identifier: str, expression: str) -> dict:
        return {"id": identifier, "name": identifier, "expression": expression, "legacyId": f"calculation_{identifier}",
                "dataType": "DECIMAL", "aggregated": True,
                "links": [{"resource": {"type": "DATA_SOURCE", "id": claims}}]}
    return [mode("BM1", "SUM(`Plan Paid`)"),
            mode("BM2", "SUM(CASE WHEN `Claim Status` = 'PAID' THEN `Plan Paid` ELSE 0 END)")]


def base_export(folder: Path, *, load_id: str = "LD-0001", claims: int = 120, members: int = 30,
                claims_columns=CLAIMS, modes: list[dict] | None = None, offset: int = 0) -> dict:
    datasets = [Dataset("ds-claims", "Claims", claims_columns, claim_rows(claims, offset)),
                Dataset("ds-members", "Members", MEMBERS,
                        [[f"M{i:05d}", f"G{i % 3}", str(20 + i % 50)] for i in range(members)])]
    if claims_columns is not CLAIMS:
        wanted = [name for name, _ in claims_columns]
        full = [name for name, _ in CLAIMS]
        datasets[0].rows = ([row[full.index(n)] for n in wanted] for row in claim_rows(claims, offset))
    return write_export(folder, datasets, export_id=f"EX-{load_id}", load_id=load_id,
                        beast_modes=beast_modes() if modes is None else modes,
                        cards=[{"card_id": "CARD-1", "title": "Plan paid", "dataset_id": "ds-claims",
                                "beast_mode_ids": ["BM1"], "aggregation": "SUM", "filters": [],
                                "recorded_value": "0", "recorded_at": "2026-11-01T06:00:00Z"}])


def manifest_of(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def reseal(folder: Path, *paths: str) -> None:
    """After editing files on purpose: their manifest hash and byte count made true again (rows untouched)."""
    manifest = manifest_of(folder)
    for entry in manifest["files"]:
        if entry["path"] in paths:
            data = (folder / entry["path"]).read_bytes()
            entry["sha256"], entry["bytes"] = hashlib.sha256(data).hexdigest(), len(data)
    rewrite_manifest(folder, manifest)


def curated_dump(engine: Engine, lake: Path) -> str:
    """A hash of everything curated: both tables in full, and the bytes of every silver file they refer to."""
    digest = hashlib.sha256()
    with engine.connect() as db:
        for table, order in (("curated_loads", "load_id"), ("curated_datasets", "load_id, dataset_id")):
            for row in db.execute(text(f"SELECT * FROM {table} ORDER BY {order}")).mappings():
                digest.update(json.dumps(dict(row), sort_keys=True, default=str).encode())
                if table == "curated_datasets":
                    data = (lake / row["parquet_path"]).read_bytes()
                    assert hashlib.sha256(data).hexdigest() == row["parquet_sha256"], row["parquet_path"]
                    digest.update(data)
                    digest.update((lake / row["parquet_path"].replace(".parquet", ".columns.json")).read_bytes())
    return digest.hexdigest()
