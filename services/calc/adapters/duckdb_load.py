"""Loading a claims CSV into the embedded DuckDB store as a new snapshot: all of it, or nothing."""
from __future__ import annotations

import csv
import tempfile
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from services.calc.adapters.claims_schema import KEEP_SNAPSHOTS, STORED_COLUMNS, Snapshot, claim_columns, reject_columns
from services.calc.adapters.duckdb_dialect import ddl_type
from services.calc.adapters.duckdb_validation import validate_into
from services.calc.adapters.whole_read import file_sha256
from services.calc.domain.claims import Reject
from services.calc.domain.reading import ClaimsScan

Connect = Callable[[], duckdb.DuckDBPyConnection]


def load_snapshot(connect: Connect, source: Path, progress: Callable[[int], None] | None = None) -> Snapshot:
    """DuckDB validates the file where it can vouch for it; otherwise the pure reader decides, and its
    result and errors are the reference (the two are cross-checked in the tests)."""
    with connect() as db:
        _drop_unpublished(db)  # what a load killed between its two commits left
        try:
            return _validated_by_duckdb(db, source, uuid.uuid4().hex[:12])
        except Exception:  # noqa: BLE001 — any doubt goes to the reference reader below
            _drop_unpublished(db)
    snapshot_id = uuid.uuid4().hex[:12]
    with source.open("rb") as stream, tempfile.TemporaryDirectory() as scratch:
        scan = ClaimsScan(stream)
        valid_csv = Path(scratch) / "valid.csv"
        rejects = _write_valid(scan, valid_csv, stream, progress)
        snap = _new_snapshot(snapshot_id, scan.sha256, scan.rows_read, len(rejects))
        with connect() as db:
            return _in_transaction(db, lambda: _from_valid_csv(db, snap, valid_csv, rejects))


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


def _new_snapshot(snapshot_id: str, sha256: str, rows_read: int, rejected: int) -> Snapshot:
    return Snapshot(snapshot_id, sha256, rows_read, rows_read - rejected, rejected,
                    datetime.now(UTC).isoformat(timespec="seconds"))


def _validated_by_duckdb(db: duckdb.DuckDBPyConnection, source: Path, snapshot_id: str) -> Snapshot:
    """The fast path: DuckDB checks and types every record, writing it once, in two transactions.

    The validating statement writes every record, in the store's types, to `records_<id>` with its helper
    columns (`reason` …); `row` is filled from the rowid, and the snapshot's `claims_<id>` is a view of its valid
    rows. Copying the valid rows into a table of their own cost a second typed copy of 10M rows, and deleting
    the rejected ones, even one, makes DuckDB rewrite the whole table at COMMIT on one thread; so does any
    update of a table the transaction created (docs/benchmarks.md). So the written and checked table is
    committed first, unpublished: the second transaction marks its duplicates, numbers its rows and makes it
    the active snapshot. Until that commits, nothing points at it, and the next load (or this one's failure)
    drops it."""
    records = f"records_{snapshot_id}"

    def commit_unpublished() -> None:
        db.execute("COMMIT")
        db.execute("BEGIN")

    def publish() -> Snapshot:
        validated = validate_into(db, source, records, store_types={c.name: ddl_type(c) for c in claim_columns()},
                                  written=commit_unpublished)
        # Insertion order is preserved (validate_into sets it), and `row` comes from the rowid: no sort needed.
        db.execute(f"UPDATE {records} SET row = {validated.row_number}")
        stored = ", ".join(c.name for c in claim_columns())
        db.execute(f"CREATE VIEW claims_{snapshot_id} AS SELECT {stored} FROM {records} WHERE reason IS NULL")
        snap = _new_snapshot(snapshot_id, sha256.result(), validated.rows_read, len(validated.rejects))
        _record(db, snap, validated.rejects)
        return snap

    # hashlib releases the GIL, as DuckDB does while it reads: the file is hashed while it is validated.
    with ThreadPoolExecutor(1) as hashing:
        sha256 = hashing.submit(file_sha256, source)
        return _in_transaction(db, publish)


def _from_valid_csv(db: duckdb.DuckDBPyConnection, snap: Snapshot, valid_csv: Path, rejects: list[Reject]) -> Snapshot:
    """The reference path: the pure reader already wrote the valid rows to a typed CSV.

    An empty text stays '' (a PAID claim's reverses_claim_id), as the fast path and the PostgreSQL store keep it
    and the domain's claim holds it: read_csv would otherwise read it as NULL."""
    types = ", ".join(f"'{c.name}': '{ddl_type(c)}'" for c in claim_columns())
    texts = ", ".join(f"'{c.name}'" for c in claim_columns() if ddl_type(c) == "VARCHAR")
    db.execute(f"CREATE TABLE claims_{snap.snapshot_id} AS SELECT * FROM read_csv(?, header = true, "
               f"quote = '\"', escape = '\"', columns = {{{types}}}, force_not_null = [{texts}])", [str(valid_csv)])
    _record(db, snap, rejects)
    return snap


def _record(db: duckdb.DuckDBPyConnection, snap: Snapshot, rejects: list[Reject]) -> None:
    """Store the rejects, make the snapshot the active one and prune old ones."""
    rejects_ddl = ", ".join(f"{c.name} {ddl_type(c)}" for c in reject_columns())
    db.execute(f"CREATE TABLE rejects_{snap.snapshot_id} ({rejects_ddl})")
    if rejects:
        db.executemany(f"INSERT INTO rejects_{snap.snapshot_id} VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       [(r.row, r.reason, r.shape_ok, r.client_id, r.pbm_id, r.tpa_id, r.group_id, r.fill_date)
                        for r in rejects])
    db.execute("UPDATE snapshots SET active = false")
    db.execute("INSERT INTO snapshots VALUES (?, ?, ?, ?, ?, ?, true)",
               [snap.snapshot_id, snap.claims_sha256, snap.rows_read, snap.rows_valid, snap.rows_rejected, snap.loaded_at])
    _drop_old(db)


def _in_transaction(db: duckdb.DuckDBPyConnection, work: Callable[[], Snapshot]) -> Snapshot:
    """All of a load or none of it: a failure or a crash leaves the previous snapshot active (`work` may commit
    an unpublished table on the way, which _drop_unpublished removes)."""
    db.execute("BEGIN")
    try:
        db.execute("CREATE TABLE IF NOT EXISTS snapshots (snapshot_id VARCHAR PRIMARY KEY, claims_sha256 VARCHAR, "
                   "rows_read BIGINT, rows_valid BIGINT, rows_rejected BIGINT, loaded_at VARCHAR, active BOOLEAN)")
        snap = work()
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return snap


def _drop_unpublished(db: duckdb.DuckDBPyConnection) -> None:
    """Drop the records tables no snapshot names: a fast-path load committed one, then failed or was killed
    before its second commit. (The first commit creates `snapshots` too: without it there is nothing to drop.)"""
    if not db.execute("SELECT 1 FROM information_schema.tables WHERE table_name = 'snapshots'").fetchall():
        return
    for (name,) in db.execute("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                              "AND starts_with(table_name, 'records_') AND substr(table_name, 9) NOT IN "
                              "(SELECT snapshot_id FROM snapshots)").fetchall():
        db.execute(f"DROP TABLE {name}")


def _drop_old(db: duckdb.DuckDBPyConnection) -> None:
    old = db.execute("SELECT snapshot_id FROM snapshots ORDER BY loaded_at DESC, active DESC OFFSET ?",
                     [KEEP_SNAPSHOTS]).fetchall()
    for (snapshot_id,) in old:
        # claims_<id> is a view of records_<id> (the fast path) or a table of its own (the reference path).
        names = [f"claims_{snapshot_id}", f"records_{snapshot_id}", f"rejects_{snapshot_id}"]
        for name, kind in db.execute("SELECT table_name, table_type FROM information_schema.tables "
                                     "WHERE table_name IN (?, ?, ?) ORDER BY table_type DESC", names).fetchall():
            db.execute(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {name}")
        db.execute("DELETE FROM snapshots WHERE snapshot_id = ?", [snapshot_id])
