"""The takeover-process registry: processes and their state, proofs, transitions and refusals (append-only)."""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "takeover_processes",
        sa.Column("process_id", sa.String(128), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("state", sa.String(40), nullable=False),
        sa.Column("defined_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "takeover_process_proofs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("process_id", sa.String(128), sa.ForeignKey("takeover_processes.process_id"), nullable=False),
        sa.Column("proof", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(512), nullable=False),
        sa.Column("recorded_by", sa.String(256), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_takeover_process_proofs_process_id", "takeover_process_proofs", ["process_id"])
    op.create_table(
        "takeover_process_transitions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("process_id", sa.String(128), sa.ForeignKey("takeover_processes.process_id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("from_state", sa.String(40), nullable=False),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("operator", sa.String(256), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.UniqueConstraint("process_id", "seq", name="uq_takeover_process_transitions_seq"),
    )
    op.create_table(
        "takeover_process_refusals",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("process_id", sa.String(128), sa.ForeignKey("takeover_processes.process_id"), nullable=False),
        sa.Column("from_state", sa.String(40), nullable=False),
        sa.Column("to_state", sa.String(40), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("operator", sa.String(256), nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_takeover_process_refusals_process_id", "takeover_process_refusals", ["process_id"])


def downgrade() -> None:
    op.drop_table("takeover_process_refusals")
    op.drop_table("takeover_process_transitions")
    op.drop_table("takeover_process_proofs")
    op.drop_table("takeover_processes")
