"""Publications record their run's canonical scope: a reader's scope grant must cover it (dual enforcement).

Existing rows are backfilled from their own readiness table, whose rows carry the scope fields, but only
when those fields hash to the row's recorded scope_hash; a row that cannot be proven keeps NULL, which
the service reads as "not readable by anyone" (never as "readable by everyone").
"""
import hashlib
import json

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

publications = sa.table("publications", sa.column("run_id", sa.String), sa.column("scope_hash", sa.String),
                        sa.column("tables_json", sa.LargeBinary), sa.column("canonical_scope", sa.Text))


def upgrade() -> None:
    op.add_column("publications", sa.Column("canonical_scope", sa.Text, nullable=True))
    if context.is_offline_mode():  # DDL rendered as text reads no rows: a later online upgrade cannot backfill either
        return
    db = op.get_bind()
    for row in db.execute(sa.select(publications.c.run_id, publications.c.scope_hash, publications.c.tables_json)):
        canonical = _proven_scope(bytes(row.tables_json), row.scope_hash)
        if canonical is not None:
            db.execute(publications.update().where(publications.c.run_id == row.run_id)
                       .values(canonical_scope=canonical))


def _proven_scope(tables_json: bytes, scope_hash: str) -> str | None:
    """The canonical scope JSON (kernel/scope.py's form, written out here so this migration never changes)."""
    try:
        readiness = next(t for t in json.loads(tables_json) if t["name"] == "readiness")
        first = readiness["rows"][0]
        scope = {"client_id": first["client_id"], "date_from": first["date_from"], "date_to": first["date_to"],
                 "group_ids": sorted({g for g in first["group_ids"].split(";") if g}), "pbm_id": first["pbm_id"],
                 "tpa_id": first["tpa_id"] or None}
    except (StopIteration, LookupError, TypeError, AttributeError, ValueError):
        return None
    canonical = json.dumps(scope, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canonical if hashlib.sha256(canonical.encode("utf-8")).hexdigest() == scope_hash else None


def downgrade() -> None:
    op.drop_column("publications", "canonical_scope")
