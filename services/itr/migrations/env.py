"""Alembic environment of the itr service."""
from runtime.migrations import run_migrations
from services.itr.adapters.tables import metadata

run_migrations(metadata)
