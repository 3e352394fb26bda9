"""The least `leaf calc` can do on a file, as a child process for bench.calc: what calculations.md 1.1 requires
before anything is aggregated, with none of the design's choices.

Every record is read and every rule applied the cheapest way leaf calc knows: a plain file (no quote, no carriage
return in its first MiB) is read once in blocks of whole lines, hashed for claims_sha256, checked to be UTF-8 and
matched with the record pattern by Arrow's RE2 on two workers (whole_read.LineRead, without feeding DuckDB), and
the lines it refuses are given their reasons by the column rules (duckdb_line_validation); any other file is read
by columns with duckdb_validation's REASON while a thread hashes it. No duplicate ids, no scope, no stored rows,
no aggregate: a ratio at this floor is the machine's and the engines', not the design's.
Usage: python -m bench.calc_floor CSV
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from services.calc.adapters.duckdb_line_validation import SPLIT, field_columns, line_pattern
from services.calc.adapters.duckdb_validation import REASON, claims_source, header_of
from services.calc.adapters.whole_read import LineRead, file_sha256


def main() -> None:
    path = Path(sys.argv[1])
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    pattern = line_pattern(path)
    if pattern is not None:
        read = LineRead(path, pattern, feed=False).result()
        texts = list(read.refused.texts.values()) if read.refused is not None else []
        rejected = db.execute(f"SELECT count({REASON}) FROM (SELECT {field_columns(header_of(path))} FROM "
                              f"(SELECT {SPLIT} AS fields FROM (SELECT unnest(?::VARCHAR[]) AS line)))", [texts]
                              ).fetchall()[0][0]
        print(rejected, read.sha256)
        return
    with ThreadPoolExecutor(1) as hashing:
        digest = hashing.submit(file_sha256, path)
        rejected = db.execute(f"SELECT count({REASON}) FROM ({claims_source(path)})", [str(path)]).fetchall()[0][0]
        print(rejected, digest.result())


if __name__ == "__main__":
    main()
