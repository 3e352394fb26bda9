"""Alembic environment of the takeover service."""
from runtime.migrations import run_migrations
from services.takeover.adapters.tables import metadata

run_migrations(metadata)
