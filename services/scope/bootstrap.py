"""Composition root of the scope service: real adapters from settings, unless a test passes its own."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime.db import open_database
from runtime.grant_keys import GrantKeys, GrantKeySettings
from runtime.grant_tokens import DEFAULT_TTL_SECONDS
from runtime.home import sqlite_url
from runtime.identity_keys import IdentitySettings
from runtime.server import ServiceDeps, database_service
from runtime.settings import LeafSettings, ServiceSettings
from services.scope.adapters.entitlements import SqlEntitlementRepository
from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.entrypoints.grpc_servicer import ScopeServicer

MIGRATIONS = Path(__file__).parent / "migrations"
SERVICE_NAME = scope_pb2.DESCRIPTOR.services_by_name["ScopeService"].full_name


class ScopeDatabaseSettings(LeafSettings):
    """Just the scope database: what an operator's tool (`leaf entitlements`) needs, without the signing key."""

    embedded_defaults = ("LEAF_SCOPE_DB_URL",)
    LEAF_SCOPE_DB_URL: str = Field(default_factory=lambda: sqlite_url("scope"))


class ScopeSettings(ServiceSettings, GrantKeySettings, IdentitySettings, ScopeDatabaseSettings):
    model_config = SettingsConfigDict(**ServiceSettings.model_config, hide_input_in_errors=True)  # a secret in input
    embedded_defaults = ("LEAF_SCOPE_DB_URL", "LEAF_GRANT_KEYS", "LEAF_IDENTITY_KEYS")
    LEAF_GRANT_TTL_SECONDS: int = Field(DEFAULT_TTL_SECONDS, ge=10, le=3600)


def open_registry(url: str) -> SqlRegistryRepository:
    """The registry on `url`, migrated to the newest schema."""
    return SqlRegistryRepository(open_database(url, "scope", MIGRATIONS))


def open_entitlements(registry: SqlRegistryRepository) -> SqlEntitlementRepository:
    """Entitlements live in the registry's database (one service, one schema)."""
    return SqlEntitlementRepository(registry.engine)


def bootstrap(settings: ScopeSettings, registry: SqlRegistryRepository | None = None,
              keys: GrantKeys | None = None) -> ServiceDeps:
    registry = registry or open_registry(settings.LEAF_SCOPE_DB_URL)
    servicer = ScopeServicer(registry, open_entitlements(registry), keys or settings.grant_keys(),
                             settings.LEAF_GRANT_TTL_SECONDS)
    # No grant_keys, so no GrantInterceptor: this service issues the grants. Every method runs under the caller's
    # verified identity (runtime/identity_guard.py): resolution and grants see only its entitlements, and the
    # entitlement admin RPCs need an operator identity, whoever reaches the port.
    return database_service("scope", registry.engine, [(scope_pb2_grpc.add_ScopeServiceServicer_to_server, servicer)],
                            [SERVICE_NAME], identity_keys=settings.identity_keys())
