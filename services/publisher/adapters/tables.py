"""The publisher's own tables: one publication per run."""
from sqlalchemy import Column, LargeBinary, MetaData, String, Table

metadata = MetaData()

publications = Table(
    "publications", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("scope_hash", String(64), nullable=False),
    Column("client_id", String(64), nullable=False, index=True),
    Column("tables_json", LargeBinary, nullable=False),
    Column("published_at", String(40), nullable=False),
)
