"""Loading a claims CSV into the PostgreSQL store: one transaction, rows streamed in with COPY."""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from services.calc.adapters.claims_schema import (
    KEEP_SNAPSHOTS,
    REJECT_COLUMNS,
    STORED_COLUMNS,
    Snapshot,
    claim_rejects,
    claims,
    claims_snapshots,
    sql_metadata,
)
from services.calc.domain.claims import Reject
from services.calc.domain.reading import ClaimsScan

_PROGRESS_EVERY = 50_000


def load_into_postgres(engine: sa.Engine, source: Path, progress: Callable[[int], None] | None) -> Snapshot:
    """Validate and store a claims CSV as the new active snapshot; any failure rolls back to the old one."""
    snapshot_id = uuid.uuid4().hex[:12]
    with source.open("rb") as stream, engine.begin() as db:
        sql_metadata.create_all(db)
        scan = ClaimsScan(stream)
        cursor = db.connection.driver_connection.cursor()
        rejects: list[Reject] = []
        with cursor.copy(_copy_sql(db, claims, ("snapshot_id", *STORED_COLUMNS))) as copy:
            for number, item in enumerate(scan, 1):
                if isinstance(item, Reject):
                    rejects.append(item)
                else:
                    copy.write_row((snapshot_id, *(getattr(item, column) for column in STORED_COLUMNS)))
                if progress and number % _PROGRESS_EVERY == 0:
                    progress(stream.tell())
        with cursor.copy(_copy_sql(db, claim_rejects, ("snapshot_id", *REJECT_COLUMNS))) as copy:
            for reject in rejects:
                copy.write_row((snapshot_id, *(getattr(reject, column) for column in REJECT_COLUMNS)))
        if progress:
            progress(stream.tell())
        snap = Snapshot(snapshot_id, scan.sha256, scan.rows_read, scan.rows_read - len(rejects), len(rejects),
                        datetime.now(UTC).isoformat(timespec="seconds"))
        _activate(db, snap)
    return snap


def _copy_sql(db: sa.Connection, table: sa.Table, columns: Iterable[str]) -> str:
    quote = db.dialect.identifier_preparer.quote
    return f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"


def _activate(db: sa.Connection, snap: Snapshot) -> None:
    # Concurrent loaders queue here, so exactly one snapshot ends up active; readers are never blocked.
    db.execute(sa.text(f"LOCK TABLE {claims_snapshots.name} IN SHARE ROW EXCLUSIVE MODE"))
    db.execute(sa.update(claims_snapshots).values(active=False))
    db.execute(sa.insert(claims_snapshots).values(**snap.__dict__, active=True))
    old = db.execute(sa.select(claims_snapshots.c.snapshot_id)
                     .order_by(claims_snapshots.c.loaded_at.desc(), claims_snapshots.c.active.desc())
                     .offset(KEEP_SNAPSHOTS)).scalars().all()
    if old:
        for table in (claims, claim_rejects, claims_snapshots):
            db.execute(sa.delete(table).where(table.c.snapshot_id.in_(old)))
