"""Silver with DuckDB: read a dataset's CSV with explicit types, profile it, write it as Parquet with lineage.

Every column is read as VARCHAR (read_csv with explicit columns, no type sniffing), then checked and cast by
rules written here: LONG is an optional sign and digits (DuckDB's own cast would round `1.5`), DATE is
`YYYY-MM-DD`, DATETIME whatever DuckDB's TIMESTAMP cast takes, DOUBLE its DOUBLE cast, DECIMAL a plain decimal
numeral whose scale is the column's widest fraction in this export (docs/takeover.md).
"""
from __future__ import annotations

import contextlib
import csv
import fcntl
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb

from services.takeover.adapters.bronze_local import hash_file
from services.takeover.domain.columns import MAX_PRECISION, SilverColumn
from services.takeover.domain.export import DatasetFacts, RejectedRow

REJECTED_KEPT = 100


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


_DECIMAL = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"


def _invalid(column: str, domo_type: str) -> str | None:
    """SQL true when the (trimmed, non-NULL) text does not convert to the Domo type."""
    v = f"trim({_ident(column)})"
    if domo_type == "LONG":
        return f"(NOT regexp_full_match({v}, '[+-]?[0-9]+') OR TRY_CAST({v} AS BIGINT) IS NULL)"
    if domo_type == "DOUBLE":
        return f"TRY_CAST({v} AS DOUBLE) IS NULL"
    if domo_type == "DECIMAL":
        return f"NOT regexp_full_match({v}, '{_DECIMAL}')"
    if domo_type == "DATE":
        return f"(NOT regexp_full_match({v}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') OR TRY_CAST({v} AS DATE) IS NULL)"
    if domo_type == "DATETIME":
        return f"TRY_CAST({v} AS TIMESTAMP) IS NULL"
    return None


def _scale(column: str) -> str:
    v = f"trim({_ident(column)})"
    return f"CASE WHEN strpos({v}, '.') > 0 THEN length({v}) - strpos({v}, '.') ELSE 0 END"


def _integer_digits(column: str) -> str:
    """Characters before the point (a sign or leading zeros included): an upper bound of the integer digits, cheap
    to compute, so a column is only ever judged too wide for DECIMAL(38, s) when it might be."""
    v = f"trim({_ident(column)})"
    return f"CASE WHEN strpos({v}, '.') > 0 THEN strpos({v}, '.') - 1 ELSE length({v}) END"


def _cast(column: SilverColumn) -> str:
    v = f"trim({_ident(column.name)})"
    if column.domo_type == "STRING":
        return f"{_ident(column.name)} AS {_ident(column.silver)}"
    return f"CAST({v} AS {column.type}) AS {_ident(column.silver)}"


class DuckDbLake:
    def __init__(self, lake: Path, memory_limit: str = "512MB", threads: int = 2) -> None:
        self.lake = lake
        self.memory_limit = memory_limit
        self.threads = threads

    def _connect(self) -> duckdb.DuckDBPyConnection:
        spill = self.lake / ".tmp"
        spill.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(config={"memory_limit": self.memory_limit, "threads": self.threads,
                                      "temp_directory": str(spill), "preserve_insertion_order": True})

    @staticmethod
    def _read(csv_path: Path, names: Sequence[str]) -> str:
        columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        return (f"read_csv({_lit(str(csv_path))}, header = true, columns = {columns}, delim = ',', quote = '\"', "
                f"escape = '\"', auto_detect = false, strict_mode = true, null_padding = false, "
                f"encoding = 'utf-8')")

    def header(self, csv_path: Path) -> list[str] | None:
        try:
            with open(csv_path, newline="", encoding="utf-8-sig") as handle:
                row = next(csv.reader(handle), None)
        except (OSError, UnicodeDecodeError, csv.Error):
            return None
        if not row or len(set(row)) != len(row) or any(not name for name in row):
            return None
        return row

    def profile(self, csv_path: Path, columns: Sequence[tuple[str, str]]) -> DatasetFacts:
        names = [name for name, _ in columns]
        checks = [(name, kind, _invalid(name, kind)) for name, kind in columns]
        checks = [(n, k, c) for n, k, c in checks if c is not None]
        decimals = [name for name, kind in columns if kind == "DECIMAL"]
        # One scan: each check once per value (an inner column per check), aggregated outside.
        inner = [f"({_ident(n)} IS NOT NULL AND {c}) AS _bad{i}" for i, (n, _, c) in enumerate(checks)]
        inner += [f"{_scale(n)} AS _scale{i}, {_integer_digits(n)} AS _digits{i}" for i, n in enumerate(decimals)]
        bad_row = " OR ".join(f"_bad{i}" for i in range(len(checks))) or "false"
        outer = ["count(*)", f"count(*) FILTER (WHERE {bad_row})"]
        for i, name in enumerate(decimals):
            ok = f"NOT coalesce(_bad{[n for n, _, _ in checks].index(name)}, false)"
            outer += [f"coalesce(max(_scale{i}) FILTER (WHERE {ok}), 0)", f"coalesce(max(_digits{i}) FILTER (WHERE {ok}), 0)"]
        select = f"SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner) or '1 AS _one'} FROM {self._read(csv_path, names)})"
        try:
            with self._connect() as db:
                found = db.execute(select).fetchone()
                assert found is not None
                rows, bad = int(found[0]), int(found[1])
                scales, unreadable = {}, None
                for i, name in enumerate(decimals):
                    scale, digits = int(found[2 + 2 * i]), int(found[3 + 2 * i])
                    scales[name] = scale
                    if scale + digits > MAX_PRECISION:
                        unreadable = f"DECIMAL column {name!r} needs more than {MAX_PRECISION} digits"
                rejected: list[RejectedRow] = []
                if bad:
                    numbered = f"(SELECT *, row_number() OVER () AS _r FROM {self._read(csv_path, names)})"
                    parts = [f"SELECT _r, {i} AS c FROM {numbered} WHERE {_ident(n)} IS NOT NULL AND {c}"
                             for i, (n, _, c) in enumerate(checks)]
                    query = f"SELECT _r, c FROM ({' UNION ALL '.join(parts)}) ORDER BY _r, c LIMIT {REJECTED_KEPT}"
                    rejected = [RejectedRow(int(r), checks[c][0], checks[c][1]) for r, c in db.execute(query).fetchall()]
        except duckdb.Error as err:
            return DatasetFacts(unreadable=f"not readable as CSV: {type(err).__name__}")
        return DatasetFacts(rows=rows, unreadable=unreadable, rejected=rejected, rejected_count=bad, scales=scales)

    def _staging(self, ingest_id: str) -> Path:
        return self.lake / "silver" / ".staging" / ingest_id

    def stage(self, ingest_id: str, dataset_id: str, load_id: str, csv_path: Path, bronze_sha256: str,
              columns: Sequence[SilverColumn]):
        from services.takeover.domain.loads import CuratedDataset

        folder = self._staging(ingest_id)
        folder.mkdir(parents=True, exist_ok=True)
        parquet, typed = folder / f"{dataset_id}.parquet", folder / f".{dataset_id}.typed.parquet"
        # Two passes, both parallel and in file order (preserve_insertion_order): the CSV cast to its types, then
        # that file again with its row position as `_bronze_row`. row_number() OVER () over the CSV would be one
        # pass but runs on one thread; the second pass over compact Parquet costs less than that.
        with self._connect() as db:
            db.execute(f"COPY (SELECT {', '.join(_cast(c) for c in columns)} "
                       f"FROM {self._read(csv_path, [c.name for c in columns])}) "
                       f"TO {_lit(str(typed))} (FORMAT parquet, COMPRESSION snappy)")
            db.execute(f"COPY (SELECT * EXCLUDE (file_row_number), {_lit(bronze_sha256)} AS _bronze_sha256, "
                       f"file_row_number + 1 AS _bronze_row "
                       f"FROM read_parquet({_lit(str(typed))}, file_row_number = true)) "
                       f"TO {_lit(str(parquet))} (FORMAT parquet, COMPRESSION zstd)")
            typed.unlink()
            rows = int(db.execute(f"SELECT count(*) FROM read_parquet({_lit(str(parquet))})").fetchone()[0])  # type: ignore[index]
        column_map = [c.as_json() for c in columns]
        (folder / f"{dataset_id}.columns.json").write_text(json.dumps(
            {"dataset_id": dataset_id, "load_id": load_id, "bronze_sha256": bronze_sha256, "rows": rows,
             "columns": column_map}, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        sha256, _ = hash_file(parquet)
        return CuratedDataset(dataset_id, rows, f"silver/{load_id}/{dataset_id}.parquet", sha256, bronze_sha256,
                              column_map)

    @contextlib.contextmanager
    def promoting(self, load_id: str) -> Iterator[None]:
        """An exclusive lock file per load id under silver/.locks (flock: released when the process dies)."""
        folder = self.lake / "silver" / ".locks"
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{load_id}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def publish(self, ingest_id: str, load_id: str) -> None:
        staged, final = self._staging(ingest_id), self.lake / "silver" / load_id
        for file in staged.iterdir():  # durable before the rename that makes them silver
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
        if final.exists():  # a leftover of an ingest killed before its commit: curated never referred to it
            shutil.rmtree(final)
        os.replace(staged, final)

    def discard(self, ingest_id: str) -> None:
        shutil.rmtree(self._staging(ingest_id), ignore_errors=True)
