"""Alembic environment of the publisher service."""
from runtime.migrations import run_migrations
from services.publisher.adapters.tables import metadata

run_migrations(metadata)
