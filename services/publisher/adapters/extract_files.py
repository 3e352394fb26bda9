"""extract.json and extract.parquet from extract.csv, by DuckDB: streamed in bounded memory, the same bytes every time.

Both are read from the one CSV the rows were written to (and checked in) as they were produced, so the three
files show the same rows and none is checked again. Parquet keeps the extract's types: decimals as DECIMAL at
their places, days as DATE, counts as integers, the compound flag as BOOLEAN; never a float. JSON keeps the
extract's own spelling: decimals and days as strings, counts as integers, the flag as "Y"/"N".

Replay: one thread (so row groups and their order never depend on scheduling), fixed row group size and
compression, and DuckDB writes no timestamp into either file; its version string is in the Parquet footer, so the
same bytes need the same DuckDB (the project pins its major version).
"""
from __future__ import annotations

from pathlib import Path

import duckdb

from services.publisher.domain.extract import EXTRACT_COLUMNS

# The claims store's own exact types (services/calc/adapters/sql_claims_store.py); awp_ext is round2.
PARQUET_TYPES = {"row": "BIGINT", "fill_date": "DATE", "compound": "BOOLEAN", "days_supply": "INTEGER",
                 "quantity": "DECIMAL(18,3)", "awp_unit_price": "DECIMAL(18,5)", "awp_ext": "DECIMAL(18,2)",
                 "ingredient_cost_paid": "DECIMAL(18,2)", "dispensing_fee_paid": "DECIMAL(18,2)"}
_JSON_NUMBERS = ("row", "days_supply")
ROW_GROUP_ROWS = 122_880  # DuckDB's default, pinned: the row groups are part of the bytes
MEMORY_LIMIT = "256MB"  # the publisher pod's budget for this step; DuckDB streams COPY within it


def _parquet_column(name: str) -> str:
    kind = PARQUET_TYPES.get(name)
    if kind is None:
        return f'"{name}"'
    if kind == "BOOLEAN":
        return f"""CASE "{name}" WHEN 'Y' THEN true WHEN 'N' THEN false END AS "{name}\""""
    return f'CAST("{name}" AS {kind}) AS "{name}"'


def _json_column(name: str) -> str:
    return f'CAST("{name}" AS BIGINT) AS "{name}"' if name in _JSON_NUMBERS else f'"{name}"'


def write_json_and_parquet(extract_csv: Path, rows: int, json_path: Path, parquet_path: Path) -> None:
    """Both files from the CSV's `rows` rows; a decimal with more places than its column keeps, or a row count that
    differs from the CSV's, fails loudly (a reader option that made DuckDB skip rows once did so in silence)."""
    source = (f"read_csv('{_quoted(extract_csv)}', header = true, auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
              "strict_mode = true, all_varchar = true, "
              # An empty text is a value here, never NULL (the CSV cannot tell them apart; the extract has no NULL).
              "nullstr = '\\x01', columns = {" + ", ".join(f"'{c}': 'VARCHAR'" for c in EXTRACT_COLUMNS) + "})")
    # Anything DuckDB spills goes beside the files it writes (the publisher's scratch), never into the working folder.
    config: dict[str, str | bool | int | float | list[str]] = {
        "threads": 1, "memory_limit": MEMORY_LIMIT, "preserve_insertion_order": True,
        "temp_directory": str(parquet_path.parent / ".duckdb-spill")}
    with duckdb.connect(config=config) as db:
        _check_places(db, source)
        written = [_copy(db, f"SELECT {', '.join(map(_json_column, EXTRACT_COLUMNS))} FROM {source}",
                         f"'{_quoted(json_path)}' (FORMAT json, ARRAY true)"),
                   _copy(db, f"SELECT {', '.join(map(_parquet_column, EXTRACT_COLUMNS))} FROM {source}",
                         f"'{_quoted(parquet_path)}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})")]
    if written != [rows, rows]:
        raise ValueError(f"the extract has {rows} rows but {written} were written as JSON and Parquet")


def _copy(db: duckdb.DuckDBPyConnection, query: str, target: str) -> int:
    answer = db.execute(f"COPY ({query}) TO {target}").fetchone()
    return int(answer[0]) if answer else -1


def _check_places(db: duckdb.DuckDBPyConnection, source: str) -> None:
    """A value the DECIMAL cast would round is an error: the published Parquet holds exactly the CSV's digits."""
    decimals = [c for c, kind in PARQUET_TYPES.items() if kind.startswith("DECIMAL")]
    lossy = " OR ".join(f'CAST(CAST("{c}" AS {PARQUET_TYPES[c]}) AS DECIMAL(38,10)) '
                        f'<> CAST("{c}" AS DECIMAL(38,10))' for c in decimals)
    found = db.execute(f"SELECT count(*) FROM {source} WHERE {lossy}").fetchone()
    if found and found[0]:
        raise ValueError(f"{found[0]} extract rows hold more decimal places than their Parquet column keeps")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
