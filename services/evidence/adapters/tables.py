"""The evidence service's own tables."""
from sqlalchemy import BigInteger, Column, Date, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

packets = Table(
    "packets", metadata,
    Column("packet_id", String(128), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("client_id", String(64), nullable=False, index=True),
    Column("pbm_id", String(64), nullable=False),
    Column("governance", String(32), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("effective_to", Date, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("body_json", LargeBinary, nullable=False),
    Column("document_name", String(500), nullable=False),
    Column("retrieved_at", String(40), nullable=False),
    UniqueConstraint("sha256", name="uq_packets_sha256"),
)

# Append-only: rows are inserted, never updated or deleted.
packet_audit = Table(
    "packet_audit", metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("packet_id", String(128), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_governance", String(32), nullable=True),
    Column("to_governance", String(32), nullable=True),
    Column("operator", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

# Where an incremental (delta) sync of a remote source left off; never a URL with a token in it.
source_cursors = Table(
    "source_cursors", metadata,
    Column("source", String(64), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_at", String(40), nullable=False),
)

# Content-addressed: a document is stored once per sha256, whatever packet names it.
documents = Table(
    "documents", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("name", String(500), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("retrieved_at", String(40), nullable=False),
)
