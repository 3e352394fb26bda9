"""Each service's Alembic migrations build exactly the schema its adapters' tables declare.

The migrations spell every table out again (a migration is frozen history: it must not change when a table's
definition in the code does). This test is what keeps the two copies honest: it runs a service's migrations on a
fresh database (SQLite and PostgreSQL) and asks Alembic's autogenerate to compare the result with the service's
SQLAlchemy metadata. Any difference (a column, a type, an index, a constraint, a table) is a migration missing.
"""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from runtime.db import open_database

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("calc", "evidence", "itr", "publisher", "scope", "takeover", "tasks")


def declared_metadata(service: str):
    """The service's metadata with every table its adapters declare (some adapters add tables to it on import)."""
    adapters = importlib.import_module(f"services.{service}.adapters")
    for module in pkgutil.walk_packages(adapters.__path__, f"services.{service}.adapters."):
        importlib.import_module(module.name)
    return importlib.import_module(f"services.{service}.adapters.tables").metadata


@pytest.mark.parametrize("service", SERVICES)
def test_the_migrations_build_the_declared_schema(service, db_url) -> None:
    metadata = declared_metadata(service)
    assert metadata.tables, f"{service} declares no table"
    engine = open_database(db_url, service, REPO / "services" / service / "migrations")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True,
                # other services' version tables may share the database: not this service's schema
                "include_name": lambda name, kind, _parent: not (kind == "table" and name.startswith("alembic_version")),
            })
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == [], f"{service}: the migrations and the declared tables differ: {differences}"
