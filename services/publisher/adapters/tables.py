"""The publisher's own tables: one publication per run, and the ledger of every stored artifact."""
from sqlalchemy import BigInteger, Column, Float, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

publications = Table(
    "publications", metadata,
    Column("run_id", String(64), primary_key=True),
    Column("scope_hash", String(64), nullable=False),
    Column("client_id", String(64), nullable=False, index=True),
    Column("tables_json", LargeBinary, nullable=False),
    Column("published_at", String(40), nullable=False),
    # What a reader's scope grant must cover; NULL (a row migration 0003 could not prove) is readable by no one.
    Column("canonical_scope", Text, nullable=True),
)

# The ledger lists only what is stored: rows are written after the bytes, all of a publication in one transaction.
artifacts = Table(
    "artifacts", metadata,
    Column("artifact_id", String(64), primary_key=True),
    Column("run_id", String(64), nullable=False, index=True),
    Column("client_id", String(64), nullable=False),
    Column("name", String(512), nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("stored_at", String(40), nullable=False),
)

# A named lease (today: "domo", the single writer of the shared Domo datasets across replicas).
leases = Table(
    "leases", metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("fencing_token", BigInteger, nullable=False),
    Column("expires_at", Float, nullable=False),
)
