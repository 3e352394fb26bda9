"""Row-level parity diff: the segment-checksum diff of services/takeover/adapters/row_diff_duckdb.py against
DuckDB's own full outer join of the same two sides (target: at most 2× the join's time) on N rows keyed on claim id.

The Domo side has every generated claim; the backend side lacks the reversals (1 in 5,000), has a few amounts
changed (1 in 100,000) and a few claims Domo lacks (1 in 200,000). Both tables are built first (not timed); each
method then runs on a fresh, warm connection to the same tables and must find the same differing rows.
Usage: python -m bench.takeover_row_diff [--rows N]
"""
from __future__ import annotations

import argparse
import json
import time

import duckdb

from services.takeover.adapters.row_diff_duckdb import row_diff

TARGET_RATIO = 2.0
COLUMNS = ["status", "fill_date", "plan_paid"]


def build(con: duckdb.DuckDBPyConnection, rows: int) -> None:
    con.execute(f"""CREATE TABLE domo AS SELECT 'CLM' || lpad(i::VARCHAR, 9, '0') AS claim_id,
        CASE WHEN i % 5000 = 4999 THEN 'REVERSAL' ELSE 'PAID' END AS status,
        DATE '2025-01-01' + (i % 365)::INT AS fill_date, ((i * 37) % 100000 / 100)::DECIMAL(18,2) AS plan_paid
        FROM range({rows}) t(i)""")
    con.execute("""CREATE TABLE backend AS
        SELECT claim_id, status, fill_date,
               CASE WHEN hash(claim_id) % 100000 = 7 THEN plan_paid + 0.01 ELSE plan_paid END AS plan_paid
        FROM domo WHERE status = 'PAID'
        UNION ALL SELECT 'EXTRA' || i, 'PAID', DATE '2025-06-01', 1.00
        FROM range(greatest(1, (SELECT count(*) FROM domo) // 200000)) t(i)""")


def full_outer_join(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("""SELECT count(*) FROM domo d FULL OUTER JOIN backend b ON d.claim_id = b.claim_id
        WHERE d.claim_id IS NULL OR b.claim_id IS NULL
           OR hash(d.status, d.fill_date, d.plan_paid) <> hash(b.status, b.fill_date, b.plan_paid)""").fetchone()
    return int(row[0]) if row else 0


def timed(fn):
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory", default="1GB")
    args = parser.parse_args(argv)
    con = duckdb.connect(config={"memory_limit": args.memory, "threads": 2})
    build(con, args.rows)
    join_rows, join_seconds = timed(lambda: full_outer_join(con))
    diff, diff_seconds = timed(lambda: row_diff(con, "domo", "backend", "claim_id", COLUMNS))
    found = diff["only_domo"] + diff["only_backend"] + diff["changed"]
    assert found == join_rows, (found, join_rows)
    ratio = diff_seconds / join_seconds
    print(json.dumps({"bench": "takeover_row_diff", "rows": args.rows, "differing_rows": found,
                      "only_domo": diff["only_domo"], "only_backend": diff["only_backend"], "changed": diff["changed"],
                      "segments_differing": diff["segments_differing"], "segments": diff["segments"],
                      "full_outer_join_s": round(join_seconds, 3), "row_diff_s": round(diff_seconds, 3),
                      "ratio": round(ratio, 2), "target_ratio": TARGET_RATIO, "ok": ratio <= TARGET_RATIO}))


if __name__ == "__main__":
    main()
