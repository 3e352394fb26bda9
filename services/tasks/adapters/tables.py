"""The task ledger: the embedded queue is this table (LEAF_QUEUE=db)."""
from sqlalchemy import Column, MetaData, String, Table, Text

metadata = MetaData()

tasks = Table(
    "tasks", metadata,
    Column("task_id", String(64), primary_key=True),
    Column("lane", String(64), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("result_json", Text, nullable=False, server_default=""),
    Column("error", Text, nullable=False, server_default=""),
    Column("idempotency_key", String(128), nullable=True, unique=True),
    Column("trace_id", String(32), nullable=False, server_default=""),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
)
