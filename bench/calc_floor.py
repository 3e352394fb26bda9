"""The least `leaf calc` can do on a file, as a child process for bench.calc: what calculations.md 1.1 requires
before anything is aggregated, with none of the design's choices.

Every record is read and every rule applied the cheapest way leaf calc knows: a plain file (no quote, no carriage
return) line by line with the record pattern, the lines it refuses given their reasons by the column rules
(duckdb_line_validation); any other file by columns with duckdb_validation's REASON. The file's SHA-256 is taken
in a thread meanwhile (claims_sha256). No duplicate ids, no scope, no stored rows, no aggregate: a ratio at this
floor is the machine's and DuckDB's, not the design's.
Usage: python -m bench.calc_floor CSV
"""
from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb

from services.calc.adapters.claims_file import file_sha256
from services.calc.adapters.duckdb_line_validation import (
    SPLIT,
    field_columns,
    lines_source,
    plain_lines,
    record_pattern,
)
from services.calc.adapters.duckdb_validation import REASON, claims_source, header_of


def main() -> None:
    path = Path(sys.argv[1])
    db = duckdb.connect()
    db.execute("SET enable_progress_bar = false")
    with ThreadPoolExecutor(1) as hashing:
        digest = hashing.submit(file_sha256, path)
        if plain_lines(path):
            header = header_of(path)
            rejected = db.execute(
                f"SELECT count({REASON}) FROM (SELECT {field_columns(header)} FROM (SELECT {SPLIT} AS fields "
                f"FROM ({lines_source()}) WHERE NOT regexp_full_match(line, ?)))",
                [str(path), record_pattern(header)]).fetchall()[0][0]
        else:
            rejected = db.execute(f"SELECT count({REASON}) FROM ({claims_source(path)})", [str(path)]).fetchall()[0][0]
        print(rejected, digest.result())


if __name__ == "__main__":
    main()
