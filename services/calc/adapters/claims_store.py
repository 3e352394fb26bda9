"""The embedded claims store on DuckDB: each load is an immutable snapshot, switched in atomically."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from kernel.errors import Unavailable
from kernel.packets import ContractPacket, Proposal
from kernel.scope import Scope
from services.calc.adapters.aggregate_query import aggregate_queries, claim_line, collect_facts, netted_claims_query
from services.calc.adapters.claims_schema import Snapshot, duckdb_claims_table, no_claims_loaded, snapshot_expired
from services.calc.adapters.duckdb_dialect import duckdb_sql
from services.calc.adapters.duckdb_load import load_snapshot
from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.calculate import member_masks
from services.calc.domain.claim_lines import ClaimLine
from services.calc.domain.claims import Reject

__all__ = ["DuckDbClaimsStore", "Snapshot"]
_FETCH = 2000
# DuckDB takes 80 % of the machine's memory by default; beyond this it spills to <store>.tmp instead, so a
# 10M-row load stays under 1 GiB (the limit leaf calc's in-memory DuckDB has too).
_CONFIG = {"memory_limit": "700MB"}


class DuckDbClaimsStore:
    """Readers open the file read-only for one query, so a loader can take the write lock between queries."""

    kind = "embedded"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        deadline = time.monotonic() + 30
        while True:
            try:
                db = duckdb.connect(str(self.path), read_only=read_only, config=_CONFIG)
                db.execute("SET enable_progress_bar = false")  # DuckDB would draw it on stdout
                return db
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
            facts = collect_facts(snap, _rejects(db, snap.snapshot_id), queries, masks,
                                  lambda statement: db.execute(*duckdb_sql(statement)).fetchall())
        return snap, facts

    def netted_claims(self, scope: Scope, snapshot_id: str) -> Iterator[ClaimLine]:
        """Fetched a batch at a time. The read-only connection stays open until the last row is read, so
        the snapshot cannot be pruned mid-stream; a loader waits for it (up to its 30 s lock deadline)."""
        with self._open(snapshot_id) as db:
            cursor = db.execute(*duckdb_sql(netted_claims_query(duckdb_claims_table(snapshot_id), scope)))
            while rows := cursor.fetchmany(_FETCH):
                yield from map(claim_line, rows)

    def rejects(self, snapshot_id: str) -> list[Reject]:
        with self._open(snapshot_id) as db:
            return _rejects(db, snapshot_id)

    def _open(self, snapshot_id: str) -> duckdb.DuckDBPyConnection:
        """A read-only connection on which that snapshot exists; its id is checked before it names a table."""
        if not self.path.exists():
            raise snapshot_expired(snapshot_id)
        db = self._connect(read_only=True)
        try:
            found = db.execute("SELECT 1 FROM snapshots WHERE snapshot_id = ?", [snapshot_id]).fetchone()
        except duckdb.CatalogException:  # a file no load ever completed in
            found = None
        if found is None:
            db.close()
            raise snapshot_expired(snapshot_id)
        return db

    def load(self, source: Path, progress: Callable[[int], None] | None = None) -> Snapshot:
        """Validate and store a claims CSV as the new active snapshot; on any failure the old one stays."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return load_snapshot(lambda: self._connect(read_only=False), source, progress)


def _rejects(db: duckdb.DuckDBPyConnection, snapshot_id: str) -> list[Reject]:
    return [Reject(*r) for r in db.execute(f"SELECT * FROM rejects_{snapshot_id} ORDER BY row").fetchall()]


def _active(db: duckdb.DuckDBPyConnection) -> Snapshot | None:
    row = db.execute("SELECT snapshot_id, claims_sha256, rows_read, rows_valid, rows_rejected, loaded_at "
                     "FROM snapshots WHERE active").fetchone()
    return Snapshot(*row) if row else None
