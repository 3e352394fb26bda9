"""Claims stores on a SQL server through SQLAlchemy: PostgreSQL (read/write) and SQL Server (read-only source).

Both read the same shared-table shape (claims_schema.py), which a SQL Server source must provide as is:
  claims_snapshots(snapshot_id, claims_sha256, rows_read, rows_valid, rows_rejected, loaded_at, active)
  claims(snapshot_id, row, <the calculations.md 1.1 columns>) with exact types: quantity DECIMAL(18,3),
      awp_unit_price DECIMAL(18,5), the four paid amounts DECIMAL(18,2), days_supply INT, fill_date DATE,
      compound BIT (1 = Y), every other column text exactly as written (an empty value as '', not NULL)
  claim_rejects(snapshot_id, row, reason, shape_ok, client_id, pbm_id, tpa_id, group_id, fill_date)
Exactly one claims_snapshots row has active = 1; runs aggregate only that snapshot's rows, and a run's
claim-level rows are read later from the snapshot it recorded, for as long as that snapshot is kept.
Text must compare exactly as written: give SQL Server's text columns a binary collation (e.g.
Latin1_General_100_BIN2_UTF8). Even then SQL Server's `=` and DISTINCT ignore trailing spaces, so ids
or member_ids that differ only by trailing spaces would match there and not on DuckDB/PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from kernel.errors import InputError
from kernel.packets import ContractPacket, Proposal
from kernel.scope import Scope
from services.calc.adapters.aggregate_query import aggregate_queries, claim_line, collect_facts, netted_claims_query
from services.calc.adapters.claims_schema import (
    REJECT_COLUMNS,
    SNAPSHOT_COLUMNS,
    Snapshot,
    claim_rejects,
    claims,
    claims_snapshots,
    no_claims_loaded,
    snapshot_expired,
)
from services.calc.domain.aggregates import ClaimsFacts
from services.calc.domain.calculate import member_masks
from services.calc.domain.claim_lines import ClaimLine
from services.calc.domain.claims import Reject

_FETCH = 2000


class SqlClaimsStore:
    """One store over an engine; `load` only where this service owns the tables (PostgreSQL)."""

    def __init__(self, engine: sa.Engine, writable: bool) -> None:
        self.engine = engine
        self.writable = writable
        self.kind = engine.dialect.name

    def snapshot(self) -> Snapshot | None:
        with self.engine.connect() as db:
            return _active(db)

    def aggregates_for(self, scope: Scope, contract: ContractPacket | None,
                       proposal: Proposal | None = None) -> tuple[Snapshot, ClaimsFacts]:
        """The active snapshot's aggregates for the scope, summed by the server; rejects are few and read whole.

        The proposal needs no extra aggregate (repricing reads the class sums); it is accepted so every
        store is asked with the run's whole evidence.
        """
        with self.engine.connect() as db:
            snap = _active(db)
            if snap is None:
                raise no_claims_loaded()
            masks = member_masks(contract)
            queries = aggregate_queries(claims, scope, masks, snap.snapshot_id)
            return snap, collect_facts(snap, _rejects(db, snap.snapshot_id), queries, masks,
                                       lambda stmt: db.execute(stmt).all())

    def netted_claims(self, scope: Scope, snapshot_id: str) -> Iterator[ClaimLine]:
        """Streamed through a server-side cursor, a batch at a time: the rows never sit in memory together.

        One statement reads them, so a loader pruning the snapshot meanwhile does not change what it sees."""
        with self.engine.connect() as db:
            _require(db, snapshot_id)
            statement = netted_claims_query(claims, scope, snapshot_id)
            for row in db.execution_options(yield_per=_FETCH).execute(statement):
                yield claim_line(row)

    def rejects(self, snapshot_id: str) -> list[Reject]:
        with self.engine.connect() as db:
            _require(db, snapshot_id)
            return _rejects(db, snapshot_id)

    def load(self, source: Path, progress: Callable[[int], None] | None = None) -> Snapshot:
        if not self.writable:
            raise InputError("claims_source_read_only",
                             "this claims source is read-only (SQL Server): load claims into it upstream")
        from services.calc.adapters.pg_load import load_into_postgres  # psycopg COPY, PostgreSQL only

        return load_into_postgres(self.engine, source, progress)


def _require(db: sa.Connection, snapshot_id: str) -> None:
    kept = sa.inspect(db).has_table(claims_snapshots.name) and db.execute(
        sa.select(claims_snapshots.c.snapshot_id).where(claims_snapshots.c.snapshot_id == snapshot_id)).first()
    if not kept:
        raise snapshot_expired(snapshot_id)


def _rejects(db: sa.Connection, snapshot_id: str) -> list[Reject]:
    stored = db.execute(sa.select(*(claim_rejects.c[name] for name in REJECT_COLUMNS))
                        .where(claim_rejects.c.snapshot_id == snapshot_id).order_by(claim_rejects.c.row))
    return [Reject(*row) for row in stored]


def _active(db: sa.Connection) -> Snapshot | None:
    if not sa.inspect(db).has_table(claims_snapshots.name):
        return None
    row = db.execute(sa.select(*(claims_snapshots.c[name] for name in SNAPSHOT_COLUMNS))
                     .where(claims_snapshots.c.active == sa.true())
                     .order_by(claims_snapshots.c.loaded_at.desc()).limit(1)).first()
    if row is None:
        return None
    snapshot_id, sha256, rows_read, rows_valid, rows_rejected, loaded_at = row
    # A SQL Server source may keep loaded_at as a datetime; the snapshot record is text either way.
    if isinstance(loaded_at, datetime):
        loaded_at = loaded_at.isoformat(timespec="seconds")
    return Snapshot(snapshot_id, sha256, int(rows_read), int(rows_valid), int(rows_rejected), loaded_at)
