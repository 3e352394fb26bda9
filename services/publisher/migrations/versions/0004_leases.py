"""Leases: one holder at a time across publisher replicas (the Domo datasets' single writer), fenced by a token."""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    leases = op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(128), nullable=False),
        # Raised by every acquisition: a writer whose token is no longer the row's has lost the lease.
        sa.Column("fencing_token", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),  # seconds since the epoch, by the database's clock
    )
    op.bulk_insert(leases, [{"name": "domo", "holder": "", "fencing_token": 0, "expires_at": 0.0}])


def downgrade() -> None:
    op.drop_table("leases")
