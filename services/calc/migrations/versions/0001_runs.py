"""Runs: result bytes and lineage, written once."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("scope_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("readiness", sa.String(16), nullable=False),
        sa.Column("canonical_scope", sa.Text, nullable=False),
        sa.Column("result_json", sa.LargeBinary, nullable=False),
        sa.Column("lineage_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_runs_scope_hash", "runs", ["scope_hash"])


def downgrade() -> None:
    op.drop_table("runs")
