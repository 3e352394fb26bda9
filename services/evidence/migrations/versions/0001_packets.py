"""Evidence packets: append-only, content-addressed versions."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "packets",
        sa.Column("packet_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("pbm_id", sa.String(64), nullable=False),
        sa.Column("governance", sa.String(32), nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("effective_to", sa.Date, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body_json", sa.LargeBinary, nullable=False),
        sa.Column("document_name", sa.String(500), nullable=False),
        sa.Column("retrieved_at", sa.String(40), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_packets_sha256"),
    )
    op.create_index("ix_packets_client_id", "packets", ["client_id"])


def downgrade() -> None:
    op.drop_table("packets")
