"""Curated loads and datasets (promoted together) and the load ledger."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "curated_loads",
        sa.Column("load_id", sa.String(128), primary_key=True),
        sa.Column("export_id", sa.String(128), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("dataset_ids", sa.Text, nullable=False),
        sa.Column("promoted_at", sa.String(40), nullable=False),
        sa.Column("promoted_by", sa.String(256), nullable=False),
        sa.Column("ingest_id", sa.String(64), nullable=False),
    )
    op.create_table(
        "curated_datasets",
        sa.Column("load_id", sa.String(128), sa.ForeignKey("curated_loads.load_id"), primary_key=True),
        sa.Column("dataset_id", sa.String(128), primary_key=True),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("parquet_path", sa.String(512), nullable=False),
        sa.Column("parquet_sha256", sa.String(64), nullable=False),
        sa.Column("bronze_sha256", sa.String(64), nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("promoted_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_curated_datasets_dataset_id", "curated_datasets", ["dataset_id"])
    op.create_table(
        "load_ledger",
        sa.Column("ingest_id", sa.String(64), primary_key=True),
        sa.Column("load_id", sa.String(128), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("ingested_at", sa.String(40), nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )
    op.create_index("ix_load_ledger_load_id", "load_ledger", ["load_id"])
    op.create_index("ix_load_ledger_ingested_at", "load_ledger", ["ingested_at"])


def downgrade() -> None:
    op.drop_table("load_ledger")
    op.drop_table("curated_datasets")
    op.drop_table("curated_loads")
