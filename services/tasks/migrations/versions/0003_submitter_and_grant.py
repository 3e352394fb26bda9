"""Whom a worker acts for: the submitter's groups and operator flag, the exact scope it was granted, the span that
submitted it (a worker's span is its child), and how often an operator requeued it.

Tasks recorded before it have no groups and a read grant: a worker asks for what their submitter may see now.
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def new_task_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("requested_groups_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("requested_operator", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("granted_scope_json", sa.Text, nullable=False, server_default=""),
        sa.Column("trace_parent_id", sa.String(16), nullable=False, server_default=""),
        sa.Column("requeues", sa.Integer, nullable=False, server_default="0"),
    )


def upgrade() -> None:
    for column in new_task_columns():
        op.add_column("tasks", column)


def downgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        for column in new_task_columns():
            batch.drop_column(column.name)
