"""The scope service's own tables (its schema, created by its migrations only)."""
from sqlalchemy import Column, Date, ForeignKey, MetaData, String, Table

metadata = MetaData()

clients = Table(
    "clients", metadata,
    Column("client_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("region", String(100), nullable=False, server_default=""),
)
pbms = Table("pbms", metadata, Column("pbm_id", String(64), primary_key=True), Column("name", String(200), nullable=False))
tpas = Table("tpas", metadata, Column("tpa_id", String(64), primary_key=True), Column("name", String(200), nullable=False))
plans = Table(
    "plans", metadata,
    Column("client_id", String(64), ForeignKey("clients.client_id"), primary_key=True),
    Column("pbm_id", String(64), ForeignKey("pbms.pbm_id"), primary_key=True),
    Column("tpa_id", String(64), ForeignKey("tpas.tpa_id"), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("valid_to", Date, nullable=False),
)
groups = Table(
    "groups", metadata,
    Column("group_id", String(64), primary_key=True),
    Column("client_id", String(64), ForeignKey("clients.client_id"), nullable=False),
    Column("tpa_id", String(64), ForeignKey("tpas.tpa_id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_to", Date, nullable=False),
)
