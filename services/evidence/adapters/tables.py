"""The evidence service's own tables."""
from sqlalchemy import Column, Date, Integer, LargeBinary, MetaData, String, Table, UniqueConstraint

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
