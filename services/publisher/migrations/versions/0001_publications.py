"""Publications: the dashboard tables of each run, written once."""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publications",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("scope_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("tables_json", sa.LargeBinary, nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_publications_client_id", "publications", ["client_id"])


def downgrade() -> None:
    op.drop_table("publications")
