"""The mirrored IT requests."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("request_id", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("subject", sa.Text, nullable=False, server_default=""),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False, server_default=""),
        sa.Column("client_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("pbm_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("tpa_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("group_ids", sa.Text, nullable=False, server_default=""),
        sa.Column("period_start", sa.String(10), nullable=False, server_default=""),
        sa.Column("period_end", sa.String(10), nullable=False, server_default=""),
        sa.Column("deliverables", sa.Text, nullable=False, server_default=""),
        sa.Column("system_modstamp", sa.String(40), nullable=False),
        sa.Column("is_deleted", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_requests_client_id", "requests", ["client_id"])


def downgrade() -> None:
    op.drop_table("requests")
