"""The governed ledger (kind, requester, lineage, policy decision, attempts, progress, artifacts), its append-only
state history, effect records, and the embedded queue with its duplicate records.

Existing tasks keep their lane; the two whose lane became a kind are renamed (`publish` → kind publish_run,
`itr_sync` → kind itr_sync on lane itr), the rest keep their lane's name as a legacy kind no worker takes.
Each gets a first history line, so every task has a history.
"""
import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

def new_task_columns() -> tuple[sa.Column, ...]:
    """Fresh Column objects each time: a Column belongs to the one table it is added to."""
    return (
        sa.Column("kind", sa.String(64), nullable=False, server_default=""),
        sa.Column("requested_by", sa.String(200), nullable=False, server_default=""),
        sa.Column("operator_intent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("scope_hash", sa.String(64), nullable=False, server_default=""),
        sa.Column("itr_request_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("run_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("policy_outcome", sa.String(16), nullable=False, server_default=""),
        sa.Column("policy_rule", sa.String(128), nullable=False, server_default=""),
        sa.Column("policy_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("progress_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("progress_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("progress_note", sa.Text, nullable=False, server_default=""),
        sa.Column("artifacts_json", sa.Text, nullable=False, server_default="[]"),
        sa.Column("started_at", sa.String(40), nullable=False, server_default=""),
        sa.Column("finished_at", sa.String(40), nullable=False, server_default=""),
        sa.Column("dispatched_at", sa.String(40), nullable=False, server_default=""),
    )


APPEND_ONLY = {
    "sqlite": [f"CREATE TRIGGER task_state_changes_no_{verb.lower()} BEFORE {verb} ON task_state_changes "
               f"BEGIN SELECT RAISE(ABORT, 'task_state_changes is append-only'); END" for verb in ("UPDATE", "DELETE")],
    "postgresql": [
        "CREATE FUNCTION task_state_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'task_state_changes is append-only'; END $$",
        "CREATE TRIGGER task_state_changes_append_only BEFORE UPDATE OR DELETE ON task_state_changes "
        "FOR EACH ROW EXECUTE FUNCTION task_state_changes_append_only()",
    ],
    "mssql": ["CREATE TRIGGER task_state_changes_append_only ON task_state_changes INSTEAD OF UPDATE, DELETE AS "
              "BEGIN THROW 51000, 'task_state_changes is append-only', 1; END"],
}


def upgrade() -> None:
    for column in new_task_columns():
        op.add_column("tasks", column)
    op.create_index("ix_tasks_state", "tasks", ["state"])
    op.create_table(
        "task_state_changes",
        sa.Column("change_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(16), nullable=False),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
    )
    op.create_index("ix_task_state_changes_task_id", "task_state_changes", ["task_id"])
    for statement in APPEND_ONLY.get(context.get_context().dialect.name, []):
        op.execute(statement)
    op.create_table(
        "task_effects",
        sa.Column("task_id", sa.String(64), primary_key=True),
        sa.Column("outcome_json", sa.Text, nullable=False),
        sa.Column("applied_at", sa.String(40), nullable=False),
    )
    op.create_table(
        "queue_messages",
        sa.Column("lane", sa.String(80), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("max_attempts", sa.Integer, nullable=False),
        sa.Column("visible_at", sa.Float, nullable=False),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("enqueued_at", sa.Float, nullable=False),
        sa.Column("last_error", sa.Text, nullable=False),
        sa.Column("dead_letter_reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("lane", "task_id"),
    )
    op.create_index("ix_queue_messages_lane_visible", "queue_messages", ["lane", "visible_at"])
    op.create_table(
        "queue_dedupe",
        sa.Column("lane", sa.String(80), nullable=False),
        sa.Column("task_id", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.PrimaryKeyConstraint("lane", "task_id"),
    )
    _backfill()


def _backfill() -> None:
    op.execute("UPDATE tasks SET kind = CASE lane WHEN 'publish' THEN 'publish_run' ELSE lane END, "
               "policy_outcome = 'allowed', policy_rule = 'legacy.lane' WHERE kind = ''")
    op.execute("UPDATE tasks SET lane = 'itr' WHERE kind = 'itr_sync'")
    op.execute("INSERT INTO task_state_changes (task_id, from_state, to_state, attempt, reason, actor, at) "
               "SELECT task_id, '', state, 0, 'recorded before the state history existed', '', created_at FROM tasks")


def downgrade() -> None:
    for table in ("queue_dedupe", "queue_messages", "task_effects", "task_state_changes"):
        op.drop_table(table)
    if context.get_context().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS task_state_changes_append_only()")
    op.drop_index("ix_tasks_state", "tasks")
    with op.batch_alter_table("tasks") as batch:
        for column in new_task_columns():
            batch.drop_column(column.name)
