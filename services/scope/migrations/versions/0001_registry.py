"""The scope registry: clients, PBMs, TPAs, plans and groups."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("clients", sa.Column("client_id", sa.String(64), primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("region", sa.String(100), nullable=False, server_default=""))
    op.create_table("pbms", sa.Column("pbm_id", sa.String(64), primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False))
    op.create_table("tpas", sa.Column("tpa_id", sa.String(64), primary_key=True),
                    sa.Column("name", sa.String(200), nullable=False))
    op.create_table(
        "plans",
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.client_id"), primary_key=True),
        sa.Column("pbm_id", sa.String(64), sa.ForeignKey("pbms.pbm_id"), primary_key=True),
        sa.Column("tpa_id", sa.String(64), sa.ForeignKey("tpas.tpa_id"), primary_key=True),
        sa.Column("valid_from", sa.Date, primary_key=True),
        sa.Column("valid_to", sa.Date, nullable=False),
    )
    op.create_table(
        "groups",
        sa.Column("group_id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.String(64), sa.ForeignKey("clients.client_id"), nullable=False),
        sa.Column("tpa_id", sa.String(64), sa.ForeignKey("tpas.tpa_id"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for table in ("groups", "plans", "tpas", "pbms", "clients"):
        op.drop_table(table)
