"""Alembic environment of the tasks service."""
from runtime.migrations import run_migrations
from services.tasks.adapters.tables import metadata

run_migrations(metadata)
