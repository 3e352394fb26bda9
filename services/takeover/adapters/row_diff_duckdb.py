"""Row-level diff inside DuckDB, keyed on claim id: counts and checksums by segment, then only the differing
segments' rows joined — what reladiff does by bisecting across two databases, done in one engine.

Both sides are relations of one connection with the key and the compared columns under the same names and types.
"""
from __future__ import annotations

from collections.abc import Sequence

import duckdb

SEGMENTS = 65536
ROWS_KEPT = 1000


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def row_diff(con: duckdb.DuckDBPyConnection, domo: str, backend: str, key: str, columns: Sequence[str],
             segments: int = SEGMENTS, rows_kept: int = ROWS_KEPT) -> dict:
    """{"domo_rows", "backend_rows", "segments", "segments_differing", "only_domo", "only_backend", "changed",
    "rows": the first `rows_kept` differing rows by key, each {"key", "side", "domo": {...}, "backend": {...}}}."""
    k = _ident(key)
    row_hash = f"hash({', '.join([k, *(_ident(c) for c in columns)])})"
    seg = f"(hash({k}) % {segments})"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _diff_segments AS
        WITH d AS (SELECT {seg} AS seg, count(*) AS n, sum({row_hash}::HUGEINT) AS h FROM {_ident(domo)} GROUP BY 1),
             b AS (SELECT {seg} AS seg, count(*) AS n, sum({row_hash}::HUGEINT) AS h FROM {_ident(backend)} GROUP BY 1)
        SELECT coalesce(d.seg, b.seg) AS seg, coalesce(d.n, 0) AS domo_n, coalesce(b.n, 0) AS backend_n,
               (d.n IS DISTINCT FROM b.n OR d.h IS DISTINCT FROM b.h) AS differs
        FROM d FULL OUTER JOIN b ON d.seg = b.seg""")
    domo_rows, backend_rows, differing = con.execute(
        "SELECT coalesce(sum(domo_n), 0), coalesce(sum(backend_n), 0), count(*) FILTER (WHERE differs) "
        "FROM _diff_segments").fetchone() or (0, 0, 0)
    picked = ", ".join(_ident(c) for c in columns)
    select_side = (f"SELECT {k}, {picked}{', ' if picked else ''}{row_hash} AS _h FROM {{rel}} "
                   f"WHERE {seg} IN (SELECT seg FROM _diff_segments WHERE differs)")
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _diff_rows AS
        SELECT coalesce(d.{k}, b.{k}) AS _key,
               CASE WHEN b.{k} IS NULL THEN 'only_domo' WHEN d.{k} IS NULL THEN 'only_backend' ELSE 'changed' END
                 AS _side, d AS domo, b AS backend
        FROM ({select_side.format(rel=_ident(domo))}) d
        FULL OUTER JOIN ({select_side.format(rel=_ident(backend))}) b ON d.{k} = b.{k}
        WHERE d.{k} IS NULL OR b.{k} IS NULL OR d._h <> b._h""")
    counts = dict(con.execute("SELECT _side, count(*) FROM _diff_rows GROUP BY 1").fetchall())
    kept = con.execute(f"SELECT _key, _side, domo, backend FROM _diff_rows ORDER BY _key LIMIT {int(rows_kept)}").fetchall()
    return {"domo_rows": int(domo_rows), "backend_rows": int(backend_rows), "segments": segments,
            "segments_differing": int(differing), "only_domo": counts.get("only_domo", 0),
            "only_backend": counts.get("only_backend", 0), "changed": counts.get("changed", 0),
            "rows": [{"key": key_value, "side": side, "domo": _plain(d), "backend": _plain(b)}
                     for key_value, side, d, b in kept]}


def _plain(struct: dict | None) -> dict | None:
    if struct is None or all(value is None for value in struct.values()):
        return None  # the side a full outer join filled with NULLs
    return {name: value for name, value in struct.items() if name != "_h"}
