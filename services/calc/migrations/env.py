"""Alembic environment of the calc service."""
from runtime.migrations import run_migrations
from services.calc.adapters.tables import metadata

run_migrations(metadata)
