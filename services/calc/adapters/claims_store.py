"""The embedded claims store on DuckDB: each load is an immutable snapshot, switched in atomically."""
from __future__ import annotations

import csv
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import duckdb

from runtime.errors import NotReady, Unavailable
from runtime.scope import Scope
from services.calc.domain.claims import CLAIM_COLUMNS, Claim, ClaimsBatch, Reject
from services.calc.domain.reading import ClaimsScan

COLUMN_TYPES = {
    "row": "BIGINT", "fill_date": "DATE", "compound": "BOOLEAN", "days_supply": "INTEGER",
    "quantity": "DECIMAL(18,3)", "awp_unit_price": "DECIMAL(18,5)", "ingredient_cost_paid": "DECIMAL(18,2)",
    "dispensing_fee_paid": "DECIMAL(18,2)", "member_paid": "DECIMAL(18,2)", "plan_paid": "DECIMAL(18,2)",
}
STORED_COLUMNS = ("row", *CLAIM_COLUMNS)
KEEP_SNAPSHOTS = 3  # older snapshots are dropped; runs keep their recorded claims_sha256


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    claims_sha256: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    loaded_at: str


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
            row = db.execute("SELECT snapshot_id, claims_sha256, rows_read, rows_valid, rows_rejected, loaded_at "
                             "FROM snapshots WHERE active").fetchone()
        return Snapshot(*row) if row else None

    def batch_for(self, scope: Scope) -> tuple[Snapshot, ClaimsBatch]:
        """The active snapshot's claims of the scope's client, PBM and window, with every reject."""
        snap = self.snapshot()
        if snap is None:
            raise NotReady("no_claims_loaded", "no claims are loaded: run `leaf claims load FILE` (or `leaf demo`)")
        where, params = _scope_filter(scope)
        with self._connect(read_only=True) as db:
            rows = db.execute(f"SELECT {', '.join(STORED_COLUMNS)} FROM claims_{snap.snapshot_id} WHERE {where} ORDER BY row",
                              params).fetchall()
            rejects = db.execute(f"SELECT * FROM rejects_{snap.snapshot_id} ORDER BY row").fetchall()
        claims = [Claim(*(value if value is not None else "" for value in row)) for row in rows]
        return snap, ClaimsBatch(snap.claims_sha256, snap.rows_read, claims, [Reject(*r) for r in rejects], snap.rows_valid)

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


def _scope_filter(scope: Scope) -> tuple[str, list]:
    where = ["client_id = ?", "pbm_id = ?", "fill_date BETWEEN ? AND ?"]
    params: list = [scope.client_id, scope.pbm_id, scope.date_from, scope.date_to]
    if scope.tpa_id is not None:
        where.append("tpa_id = ?")
        params.append(scope.tpa_id)
    if scope.group_ids:
        where.append(f"group_id IN ({', '.join('?' * len(scope.group_ids))})")
        params.extend(scope.group_ids)
    return " AND ".join(where), params


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
    types = ", ".join(f"'{c}': '{COLUMN_TYPES.get(c, 'VARCHAR')}'" for c in STORED_COLUMNS)
    db.execute("BEGIN")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS snapshots (snapshot_id VARCHAR PRIMARY KEY, claims_sha256 VARCHAR, "
                   "rows_read BIGINT, rows_valid BIGINT, rows_rejected BIGINT, loaded_at VARCHAR, active BOOLEAN)")
        db.execute(f"CREATE TABLE claims_{snap.snapshot_id} AS SELECT * FROM read_csv(?, header = true, "
                   f"quote = '\"', escape = '\"', columns = {{{types}}})", [str(valid_csv)])
        db.execute(f"CREATE TABLE rejects_{snap.snapshot_id} (row BIGINT, reason VARCHAR, shape_ok BOOLEAN, client_id VARCHAR, "
                   "pbm_id VARCHAR, tpa_id VARCHAR, group_id VARCHAR, fill_date DATE)")
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
