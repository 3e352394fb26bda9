"""Entitlements (principal → client, optionally narrowed to groups) and their append-only audit log."""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entitlements",
        sa.Column("principal", sa.String(200), primary_key=True),
        sa.Column("client_id", sa.String(64), primary_key=True),
        sa.Column("group_ids", sa.Text, nullable=False),
    )
    op.create_table(
        "entitlement_audit",
        sa.Column("audit_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("principal", sa.String(200), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("group_ids", sa.Text, nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_entitlement_audit_principal", "entitlement_audit", ["principal"])


def downgrade() -> None:
    op.drop_table("entitlement_audit")
    op.drop_table("entitlements")
