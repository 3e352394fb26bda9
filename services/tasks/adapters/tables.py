"""The tasks service's tables: the ledger and its history, effect records, and the embedded queue (LEAF_QUEUE=db)."""
from sqlalchemy import Boolean, Column, Float, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text, false

metadata = MetaData()

tasks = Table(
    "tasks", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("kind", String(64), nullable=False, server_default=""),
    Column("lane", String(64), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("requested_by", String(200), nullable=False, server_default=""),
    Column("operator_intent", Boolean, nullable=False, server_default=false()),
    Column("scope_hash", String(64), nullable=False, server_default=""),
    Column("itr_request_id", String(64), nullable=False, server_default=""),
    Column("run_id", String(64), nullable=False, server_default=""),
    Column("policy_outcome", String(16), nullable=False, server_default=""),
    Column("policy_rule", String(128), nullable=False, server_default=""),
    Column("policy_reason", Text, nullable=False, server_default=""),
    Column("payload_json", Text, nullable=False),
    Column("result_json", Text, nullable=False, server_default=""),
    Column("error", Text, nullable=False, server_default=""),  # the last error
    Column("idempotency_key", String(128), nullable=True, unique=True),
    Column("trace_id", String(32), nullable=False, server_default=""),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("max_attempts", Integer, nullable=False, server_default="0"),
    Column("progress_done", Integer, nullable=False, server_default="0"),
    Column("progress_total", Integer, nullable=False, server_default="0"),
    Column("progress_note", Text, nullable=False, server_default=""),
    Column("artifacts_json", Text, nullable=False, server_default="[]"),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("started_at", String(40), nullable=False, server_default=""),
    Column("finished_at", String(40), nullable=False, server_default=""),
    Column("dispatched_at", String(40), nullable=False, server_default=""),
    Column("requested_groups_json", Text, nullable=False, server_default="[]"),
    Column("requested_operator", Boolean, nullable=False, server_default=false()),
    Column("granted_scope_json", Text, nullable=False, server_default=""),
    Column("trace_parent_id", String(16), nullable=False, server_default=""),
    Column("requeues", Integer, nullable=False, server_default="0"),
    Index("ix_tasks_state", "state"),
)

# Append-only: the migration installs triggers that refuse UPDATE and DELETE on it.
task_state_changes = Table(
    "task_state_changes", metadata,
    Column("change_id", Integer, primary_key=True, autoincrement=True),
    Column("task_id", String(64), nullable=False, index=True),
    Column("from_state", String(16), nullable=False),
    Column("to_state", String(16), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("at", String(40), nullable=False),
)

# One row per task whose effect was applied, written in the transaction that applied it.
task_effects = Table(
    "task_effects", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("outcome_json", Text, nullable=False),
    Column("applied_at", String(40), nullable=False),
)

# The embedded queue: a row per pending message; a lane's dead letters are rows of lane "<lane>.dead".
queue_messages = Table(
    "queue_messages", metadata,
    Column("lane", String(80), nullable=False),
    Column("task_id", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("visible_at", Float, nullable=False),       # epoch seconds on the database's clock
    Column("lease_token", String(32), nullable=True),
    Column("enqueued_at", Float, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("dead_letter_reason", Text, nullable=False),
    PrimaryKeyConstraint("lane", "task_id"),
    Index("ix_queue_messages_lane_visible", "lane", "visible_at"),
)

# Duplicate detection for brokers that have none (RabbitMQ): a task id pending on a lane, until `expires_at`.
queue_dedupe = Table(
    "queue_dedupe", metadata,
    Column("lane", String(80), nullable=False),
    Column("task_id", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    PrimaryKeyConstraint("lane", "task_id"),
)
