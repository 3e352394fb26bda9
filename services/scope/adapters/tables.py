"""The scope service's own tables (its schema, created by its migrations only)."""
from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, String, Table, Text

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

# No foreign key to clients: the registry is replaced whole, and an entitlement must survive a reload.
entitlements = Table(
    "entitlements", metadata,
    Column("principal", String(200), primary_key=True),
    Column("client_id", String(64), primary_key=True),
    Column("group_ids", Text, nullable=False),  # JSON list, sorted; [] = every group of the client
)
# Append-only: every grant and revoke, with who decided and why.
entitlement_audit = Table(
    "entitlement_audit", metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(16), nullable=False),
    Column("principal", String(200), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("group_ids", Text, nullable=False),
    Column("operator", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", String(40), nullable=False),
)
