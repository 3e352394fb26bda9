"""The ITR mirror's own tables (the request object; history, files, feed follow with the sync)."""
from sqlalchemy import Boolean, Column, MetaData, String, Table, Text, false

metadata = MetaData()

requests = Table(
    "requests", metadata,
    Column("request_id", String(18), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("subject", Text, nullable=False, server_default=""),
    Column("status", String(32), nullable=False),
    Column("priority", String(16), nullable=False, server_default=""),
    Column("client_id", String(64), nullable=False, server_default="", index=True),
    Column("pbm_id", String(64), nullable=False, server_default=""),
    Column("tpa_id", String(64), nullable=False, server_default=""),
    Column("group_ids", Text, nullable=False, server_default=""),
    Column("period_start", String(10), nullable=False, server_default=""),
    Column("period_end", String(10), nullable=False, server_default=""),
    Column("deliverables", Text, nullable=False, server_default=""),
    Column("system_modstamp", String(40), nullable=False),
    Column("is_deleted", Boolean, nullable=False, server_default=false()),
)
