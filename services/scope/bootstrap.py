"""Composition root of the scope service: real adapters from settings, unless a test passes its own."""
from __future__ import annotations

from pathlib import Path

from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from pydantic import Field
from runtime.db import open_database
from runtime.home import sqlite_url
from runtime.server import ServiceDeps, database_service
from runtime.settings import ServiceSettings
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.entrypoints.grpc_servicer import ScopeServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = scope_pb2.DESCRIPTOR.services_by_name["ScopeService"].full_name


class ScopeSettings(ServiceSettings):
    embedded_defaults = ("LEAF_SCOPE_DB_URL",)
    LEAF_SCOPE_DB_URL: str = Field(default_factory=lambda: sqlite_url("scope"))


def open_registry(url: str) -> SqlRegistryRepository:
    """The registry on `url`, migrated to the newest schema."""
    return SqlRegistryRepository(open_database(url, "scope", MIGRATIONS))


def bootstrap(settings: ScopeSettings, registry: SqlRegistryRepository | None = None) -> ServiceDeps:
    registry = registry or open_registry(settings.LEAF_SCOPE_DB_URL)
    return database_service("scope", registry.engine, [(scope_pb2_grpc.add_ScopeServiceServicer_to_server, ScopeServicer(registry))],
                            [SERVICE_NAME])
