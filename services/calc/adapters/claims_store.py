"""The embedded claims store on DuckDB: each load is an immutable snapshot, switched in atomically."""
from __future__ import annotations

import csv
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from runtime.errors import Unavailable
from runtime.packets import ContractPacket, Proposal
from runtime.scope import Scope
from services.calc.adapters.aggregate_query import aggregate_queries, collect_facts
from services.calc.adapters.claims_schema import (KEEP_SNAPSHOTS, STORED_COLUMNS, Snapshot, claim_columns,
                                                  duckdb_claims_table, no_claims_loaded, reject_columns)
from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.calculate import member_masks
from services.calc.domain.claims import Reject
from services.calc.domain.reading import ClaimsScan

__all__ = ["DuckDbClaimsStore", "Snapshot", "duckdb_sql"]
# DuckDB speaks PostgreSQL's SQL closely enough: the one aggregate definition compiles through that dialect,
# with positional `?` parameters DuckDB binds natively (values stay bound, never spliced into the text).
_DIALECT = postgresql.dialect(paramstyle="qmark")


def ddl_type(column: sa.Column) -> str:
    return column.type.compile(dialect=_DIALECT)


class DuckDbClaimsStore:
    """Readers open the file read-only for one query, so a loader can take the write lock between queries."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + 30
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.IOException:
                if time.monotonic() > deadline:
                    raise Unavailable("claims_store_busy", "the claims store is locked by another process") from None
                time.sleep(0.2)

    def snapshot(self) -> Snapshot | None:
        if not self.path.exists():
            return None
        with self._connect(read_only=True) as db:
            return _active(db)

    def aggregates_for(self, scope: Scope, contract: ContractPacket | None,
                       proposal: Proposal | None = None) -> tuple[Snapshot, ClaimsFacts]:
        """The active snapshot's aggregates for the scope, summed in DuckDB; rejects are few and read whole.

        The proposal needs no extra aggregate (repricing reads the class sums); it is accepted so every
        store is asked with the run's whole evidence.
        """
        if not self.path.exists():
            raise no_claims_loaded()
        masks = member_masks(contract)
        # One connection for the snapshot and its rows: a loader cannot drop them in between.
        with self._connect(read_only=True) as db:
            snap = _active(db)
            if snap is None:
                raise no_claims_loaded()
            queries = aggregate_queries(duckdb_claims_table(snap.snapshot_id), scope, masks)
            stored = db.execute(f"SELECT * FROM rejects_{snap.snapshot_id} ORDER BY row").fetchall()
            facts = collect_facts(snap, [Reject(*r) for r in stored], queries, masks,
                                  lambda statement: db.execute(*duckdb_sql(statement)).fetchall())
        return snap, facts

    def load(self, source: Path, progress: Callable[[int], None] | None = None) -> Snapshot:
        """Validate and store a claims CSV as the new active snapshot; on any failure the old one stays."""
        snapshot_id = uuid.uuid4().hex[:12]
        with source.open("rb") as stream, tempfile.TemporaryDirectory() as scratch:
            scan = ClaimsScan(stream)
            valid_csv = Path(scratch) / "valid.csv"
            rejects = _write_valid(scan, valid_csv, stream, progress)
            snap = Snapshot(snapshot_id, scan.sha256, scan.rows_read, scan.rows_read - len(rejects), len(rejects),
                            datetime.now(timezone.utc).isoformat(timespec="seconds"))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect(read_only=False) as db:
                _store(db, snap, valid_csv, rejects)
        return snap


def _active(db: duckdb.DuckDBPyConnection) -> Snapshot | None:
    row = db.execute("SELECT snapshot_id, claims_sha256, rows_read, rows_valid, rows_rejected, loaded_at "
                     "FROM snapshots WHERE active").fetchone()
    return Snapshot(*row) if row else None


def duckdb_sql(statement: sa.Select) -> tuple[str, list]:
    """SQL text and positional parameters for DuckDB; IN lists are expanded into one `?` per value."""
    compiled = statement.compile(dialect=_DIALECT, compile_kwargs={"render_postcompile": True})
    return compiled.string, [compiled.params[name] for name in compiled.positiontup]


def _write_valid(scan: ClaimsScan, target: Path, stream, progress) -> list[Reject]:
    rejects: list[Reject] = []
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(STORED_COLUMNS)
        for number, item in enumerate(scan, 1):
            if isinstance(item, Reject):
                rejects.append(item)
            else:
                writer.writerow(getattr(item, column) for column in STORED_COLUMNS)
            if progress and number % 50_000 == 0:
                progress(stream.tell())
    if progress:
        progress(stream.tell())
    return rejects


def _store(db: duckdb.DuckDBPyConnection, snap: Snapshot, valid_csv: Path, rejects: list[Reject]) -> None:
    types = ", ".join(f"'{c.name}': '{ddl_type(c)}'" for c in claim_columns())
    rejects_ddl = ", ".join(f"{c.name} {ddl_type(c)}" for c in reject_columns())
    db.execute("BEGIN")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS snapshots (snapshot_id VARCHAR PRIMARY KEY, claims_sha256 VARCHAR, "
                   "rows_read BIGINT, rows_valid BIGINT, rows_rejected BIGINT, loaded_at VARCHAR, active BOOLEAN)")
        db.execute(f"CREATE TABLE claims_{snap.snapshot_id} AS SELECT * FROM read_csv(?, header = true, "
                   f"quote = '\"', escape = '\"', columns = {{{types}}})", [str(valid_csv)])
        db.execute(f"CREATE TABLE rejects_{snap.snapshot_id} ({rejects_ddl})")
        if rejects:
            db.executemany(f"INSERT INTO rejects_{snap.snapshot_id} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           [(r.row, r.reason, r.shape_ok, r.client_id, r.pbm_id, r.tpa_id, r.group_id, r.fill_date) for r in rejects])
        db.execute("UPDATE snapshots SET active = false")
        db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, true)",
                   [snap.snapshot_id, snap.claims_sha256, snap.rows_read, snap.rows_valid, snap.rows_rejected, snap.loaded_at])
        _drop_old(db)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _drop_old(db: duckdb.DuckDBPyConnection) -> None:
    old = db.execute("SELECT snapshot_id FROM snapshots ORDER BY loaded_at DESC, active DESC OFFSET ?", [KEEP_SNAPSHOTS]).fetchall()
    for (snapshot_id,) in old:
        db.execute(f"DROP TABLE IF EXISTS claims_{snapshot_id}")
        db.execute(f"DROP TABLE IF EXISTS rejects_{snapshot_id}")
        db.execute("DELETE FROM snapshots WHERE snapshot_id = ?", [snapshot_id])
