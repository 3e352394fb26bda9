"""Takeover ingest rate: a generated Leaf IQ export of N claim rows (one dataset, 12 columns, DECIMAL money, DATE,
LONG) ingested end to end — bronze (hash + copy), guardrails, DuckDB profile, silver Parquet, curated promotion —
by `leaf takeover ingest` in a child process on a fresh SQLite database and lake (target: ≥ 500,000 rows/s and a
peak resident set under 1 GiB for 5M rows), then ingested again (unchanged: nothing new stored).

The rate is rows / wall-clock seconds of the ingest inside the child (its imports excluded; the child's whole wall
time is printed too); peak memory is the child's ru_maxrss. The CSV is written by DuckDB (generation excluded).
Usage: python -m bench.takeover_ingest [--rows N]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from demo.takeover_export import _sha256, write_export

TARGET_ROWS_PER_SECOND = 500_000
PEAK_LIMIT = 1 << 30
CHECKOUT = Path(__file__).resolve().parents[1]
COLUMNS = [("Claim ID", "STRING"), ("Claim Status", "STRING"), ("Client ID", "STRING"), ("Group ID", "STRING"),
           ("Member ID", "STRING"), ("Fill Date", "DATE"), ("NDC", "STRING"), ("Channel", "STRING"),
           ("Days Supply", "LONG"), ("Quantity", "DECIMAL"), ("Ingredient Cost Paid", "DECIMAL"), ("Plan Paid", "DECIMAL")]
CHILD = """
import json, sys, time
from cli.operator import local_operator
from runtime.settings import load_settings
from services.takeover.adapters.plane import build_plane
from services.takeover.settings import TakeoverStoreSettings
plane = build_plane(load_settings(TakeoverStoreSettings))
started = time.perf_counter()
report = plane.ingest(sys.argv[1], local_operator())
print(json.dumps({"seconds": time.perf_counter() - started, **report.summary()}))
"""


def generate(folder: Path, rows: int) -> None:
    write_export(folder, [], load_id="LD-BENCH", beast_modes=[{"id": "BM1", "expression": "SUM(`Plan Paid`)",
                                                               "links": [{"resource": {"type": "DATA_SOURCE",
                                                                                       "id": "ds-claims"}}]}])
    csv = folder / "datasets" / "ds-claims.csv"
    select = ", ".join([
        "'CLM' || lpad(i::VARCHAR, 9, '0') AS \"Claim ID\"",
        "CASE WHEN i % 50 = 49 THEN 'REVERSAL' ELSE 'PAID' END AS \"Claim Status\"",
        "'C00' || (i % 3 + 1)::VARCHAR AS \"Client ID\"", "'G' || (i % 40)::VARCHAR AS \"Group ID\"",
        "'M' || lpad((i % 200000)::VARCHAR, 7, '0') AS \"Member ID\"",
        "(DATE '2025-01-01' + (i % 365)::INTEGER)::VARCHAR AS \"Fill Date\"",
        "lpad((i * 7919 % 99999999999)::VARCHAR, 11, '0') AS \"NDC\"",
        "CASE i % 3 WHEN 0 THEN 'RETAIL' WHEN 1 THEN 'MAIL' ELSE 'SPECIALTY' END AS \"Channel\"",
        "(30 + i % 60)::VARCHAR AS \"Days Supply\"", "((i % 900) / 10 + 1)::DECIMAL(10,3)::VARCHAR AS \"Quantity\"",
        "((i * 37) % 1000000 / 100)::DECIMAL(12,2)::VARCHAR AS \"Ingredient Cost Paid\"",
        "((i * 31) % 800000 / 100)::DECIMAL(12,2)::VARCHAR AS \"Plan Paid\""])
    duckdb.sql(f"COPY (SELECT {select} FROM range({rows}) t(i)) TO '{csv}' (HEADER, DELIMITER ',')")
    (folder / "datasets" / "ds-claims.schema.json").write_text(json.dumps(
        {"columns": [{"name": n, "type": t} for n, t in COLUMNS]}))
    manifest = json.loads((folder / "manifest.json").read_text())
    sha, size = _sha256(csv)
    manifest["datasets"] = [{"dataset_id": "ds-claims", "name": "Claims", "rows": rows, "columns": len(COLUMNS)}]
    manifest["files"] = [{"path": "datasets/ds-claims.csv", "sha256": sha, "bytes": size, "dataset_id": "ds-claims",
                          "rows": rows}]
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def ingest(folder: Path, env: dict) -> tuple[dict, float, int]:
    started = time.perf_counter()
    child = subprocess.run([sys.executable, "-c", CHILD, str(folder)], cwd=CHECKOUT, env=env, capture_output=True,
                           text=True, check=True)
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # KiB on Linux; the largest child so far
    return json.loads(child.stdout.strip().splitlines()[-1]), wall, peak


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leaf-bench-takeover-") as scratch:
        folder = Path(scratch) / "export"
        generate(folder, args.rows)
        size = (folder / "datasets" / "ds-claims.csv").stat().st_size
        env = {**os.environ, "LEAF_HOME": str(Path(scratch) / "home"), "LEAF_TAKEOVER_DB_URL": "",
               "PYTHONPATH": os.pathsep.join([str(CHECKOUT), str(CHECKOUT / "gen")])}
        env.pop("LEAF_TAKEOVER_DB_URL")
        env.pop("LEAF_TAKEOVER_LAKE_DIR", None)
        first, wall, peak = ingest(folder, env)
        bronze = sum(1 for _ in (Path(scratch) / "home" / "takeover" / "lake" / "bronze" / "sha256").rglob("*"))
        second, wall2, _ = ingest(folder, env)
        bronze2 = sum(1 for _ in (Path(scratch) / "home" / "takeover" / "lake" / "bronze" / "sha256").rglob("*"))
    rate = args.rows / first["seconds"]
    print(f"takeover ingest: {args.rows:,} rows, {len(COLUMNS)} columns, {size / 1e6:,.0f} MB of CSV")
    print(f"  first ingest  {first['status']:<10} {first['seconds']:7.2f} s  {rate:11,.0f} rows/s  (target ≥ "
          f"{TARGET_ROWS_PER_SECOND:,}: {'met' if rate >= TARGET_ROWS_PER_SECOND else 'NOT met'}); child wall {wall:.2f} s")
    print(f"  peak memory   {peak / 2**20:7.0f} MiB (target < 1024 MiB: {'met' if peak < PEAK_LIMIT else 'NOT met'})")
    print(f"  second ingest {second['status']:<10} {second['seconds']:7.2f} s; bronze entries {bronze} → {bronze2}; "
          f"child wall {wall2:.2f} s")


if __name__ == "__main__":
    main()
