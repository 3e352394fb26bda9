"""The least `leaf calc` can do on a file, as a child process for bench.calc: what calculations.md 1.1 requires
before anything is aggregated, with none of the design's choices.

Every column of every record is read and every rule applied (the same SQL leaf calc runs: duckdb_validation's
REASON), while the file's SHA-256 is taken in a thread (claims_sha256). No duplicate ids, no scope, no stored
rows, no aggregate: a ratio at this floor is the machine's and DuckDB's, not the design's.
Usage: python -m bench.calc_floor CSV
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from services.calc.adapters.claims_file import file_sha256
from services.calc.adapters.duckdb_validation import REASON, claims_source


def main() -> None:
    path = Path(sys.argv[1])
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    with ThreadPoolExecutor(1) as hashing:
        digest = hashing.submit(file_sha256, path)
        rejected = db.execute(f"SELECT count({REASON}) FROM ({claims_source(path)})", [str(path)]).fetchall()[0][0]
        print(rejected, digest.result())


if __name__ == "__main__":
    main()
