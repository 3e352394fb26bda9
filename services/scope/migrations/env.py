"""Alembic environment of the scope service."""
from runtime.migrations import run_migrations
from services.scope.adapters.tables import metadata

run_migrations(metadata)
