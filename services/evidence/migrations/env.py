"""Alembic environment of the evidence service."""
from runtime.migrations import run_migrations
from services.evidence.adapters.tables import metadata

run_migrations(metadata)
