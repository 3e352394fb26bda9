"""The stored claim shape every claims store shares: typed columns and the snapshot bookkeeping."""
from __future__ import annotations

import sqlalchemy as sa

from kernel.errors import NotReady
from services.calc.domain.claims import CLAIM_COLUMNS

# The store's interface and snapshot record are the use cases' port; the stores import them from here too.
from services.calc.service_layer.ports import ClaimsStore, Snapshot, no_claims_loaded  # noqa: F401

# Exact DECIMAL types sized for the places calculations.md 1.1 allows; everything else is text as written.
_TYPES: dict[str, sa.types.TypeEngine] = {
    "row": sa.BigInteger(), "fill_date": sa.Date(), "compound": sa.Boolean(), "days_supply": sa.Integer(),
    "quantity": sa.Numeric(18, 3), "awp_unit_price": sa.Numeric(18, 5), "ingredient_cost_paid": sa.Numeric(18, 2),
    "dispensing_fee_paid": sa.Numeric(18, 2), "member_paid": sa.Numeric(18, 2), "plan_paid": sa.Numeric(18, 2),
}
STORED_COLUMNS = ("row", *CLAIM_COLUMNS)
REJECT_COLUMNS = ("row", "reason", "shape_ok", "client_id", "pbm_id", "tpa_id", "group_id", "fill_date")
SNAPSHOT_COLUMNS = ("snapshot_id", "claims_sha256", "rows_read", "rows_valid", "rows_rejected", "loaded_at")
KEEP_SNAPSHOTS = 3  # older snapshots are dropped; runs keep their recorded claims_sha256


def snapshot_expired(snapshot_id: str) -> NotReady:
    return NotReady("claims_snapshot_expired",
                    f"the claims snapshot {snapshot_id!r} this run used was pruned (the store keeps the last "
                    f"{KEEP_SNAPSHOTS} loads): compute the run again to read its claims")


def claim_columns() -> list[sa.Column]:
    return [sa.Column(name, _TYPES.get(name, sa.String())) for name in STORED_COLUMNS]


def reject_columns() -> list[sa.Column]:
    kinds = {"row": sa.BigInteger(), "shape_ok": sa.Boolean(), "fill_date": sa.Date()}
    return [sa.Column(name, kinds.get(name, sa.String())) for name in REJECT_COLUMNS]


def duckdb_claims_table(snapshot_id: str) -> sa.Table:
    """The embedded store keeps one table per snapshot, so its claims carry no snapshot_id column."""
    return sa.Table(f"claims_{snapshot_id}", sa.MetaData(), *claim_columns())


# The shared-table shape of a SQL server store (PostgreSQL writes it; a SQL Server source must provide it):
# every snapshot's rows in one table, told apart by snapshot_id; exactly one snapshot is active.
sql_metadata = sa.MetaData()
claims_snapshots = sa.Table(
    "claims_snapshots", sql_metadata,
    sa.Column("snapshot_id", sa.String(32), primary_key=True), sa.Column("claims_sha256", sa.String(64)),
    sa.Column("rows_read", sa.BigInteger()), sa.Column("rows_valid", sa.BigInteger()),
    sa.Column("rows_rejected", sa.BigInteger()), sa.Column("loaded_at", sa.String(40)),
    sa.Column("active", sa.Boolean()),
)
claims = sa.Table("claims", sql_metadata, sa.Column("snapshot_id", sa.String(32), nullable=False), *claim_columns(),
                  sa.Index("ix_claims_scope", "snapshot_id", "client_id", "pbm_id", "fill_date"))
claim_rejects = sa.Table("claim_rejects", sql_metadata, sa.Column("snapshot_id", sa.String(32), nullable=False),
                         *reject_columns(), sa.Index("ix_claim_rejects_snapshot", "snapshot_id"))
