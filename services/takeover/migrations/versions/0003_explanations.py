"""Golden comparison explanations (takeover.md section 4): every proposal and every approval, append-only — the
database itself refuses an UPDATE or a DELETE (triggers, as the task ledger's task_state_changes)."""
import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = "takeover_parity_explanations"
APPEND_ONLY = {
    "sqlite": [f"CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE} "
               f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END" for verb in ("UPDATE", "DELETE")],
    "postgresql": [
        f"CREATE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{TABLE} is append-only'; END $$",
        f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()",
    ],
    "mssql": [f"CREATE TRIGGER {TABLE}_append_only ON {TABLE} INSTEAD OF UPDATE, DELETE AS "
              f"BEGIN THROW 51000, '{TABLE} is append-only', 1; END"],
}
DROP = {
    "postgresql": [f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
                   f"DROP FUNCTION IF EXISTS {TABLE}_append_only()"],
}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("process_id", sa.String(128), nullable=False),
        sa.Column("card_id", sa.String(128), nullable=False),
        sa.Column("reason_code", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(256), nullable=False),
        sa.Column("approved_by", sa.String(256), nullable=True),
        sa.Column("approved_at", sa.String(40), nullable=True),
        sa.Column("recorded_at", sa.String(40), nullable=False),
    )
    op.create_index(f"ix_{TABLE}_process_id", TABLE, ["process_id"])
    for statement in APPEND_ONLY.get(context.get_context().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in DROP.get(context.get_context().dialect.name, []):
        op.execute(statement)
    op.drop_table(TABLE)
