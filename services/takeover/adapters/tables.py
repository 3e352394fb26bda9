"""The takeover service's own tables: curated loads and their datasets (promoted together) and the load ledger."""
from sqlalchemy import BigInteger, Column, ForeignKeyConstraint, MetaData, String, Table, Text

metadata = MetaData()
ID = 128
SHA = 64
STAMP = 40

curated_loads = Table(
    "curated_loads", metadata,
    Column("load_id", String(ID), primary_key=True),
    Column("export_id", String(ID), nullable=False),
    Column("content_sha256", String(SHA), nullable=False),
    Column("dataset_ids", Text, nullable=False),          # JSON list, sorted
    Column("promoted_at", String(STAMP), nullable=False),
    Column("promoted_by", String(256), nullable=False),    # the verified operator
    Column("ingest_id", String(64), nullable=False),
)

curated_datasets = Table(
    "curated_datasets", metadata,
    Column("load_id", String(ID), primary_key=True),
    Column("dataset_id", String(ID), primary_key=True, index=True),
    Column("rows", BigInteger, nullable=False),
    Column("parquet_path", String(512), nullable=False),   # relative to the lake: silver/<load_id>/<dataset_id>.parquet
    Column("parquet_sha256", String(SHA), nullable=False),
    Column("bronze_sha256", String(SHA), nullable=False),
    Column("columns", Text, nullable=False),               # JSON: the column map
    Column("promoted_at", String(STAMP), nullable=False),
    ForeignKeyConstraint(["load_id"], ["curated_loads.load_id"]),
)

load_ledger = Table(
    "load_ledger", metadata,
    Column("ingest_id", String(64), primary_key=True),
    Column("load_id", String(ID), nullable=True, index=True),
    Column("status", String(16), nullable=False),
    Column("ingested_at", String(STAMP), nullable=False, index=True),
    Column("report", Text, nullable=False),                # JSON: LoadReport.as_json()
)
