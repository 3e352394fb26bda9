"""The calc service's own tables: the runs it computed."""
from sqlalchemy import Column, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

runs = Table(
    "runs", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("scope_hash", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("readiness", String(16), nullable=False),
    Column("canonical_scope", Text, nullable=False),
    Column("result_json", LargeBinary, nullable=False),
    Column("lineage_json", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
)
