"""Scope use cases: each takes a command and the repository, and returns a domain result."""
from __future__ import annotations

from services.scope.adapters.repository import SqlRegistryRepository
from services.scope.domain.registry import Client
from services.scope.domain.resolution import Resolution, ResolveScope, resolve


def resolve_scope(order: ResolveScope, registry: SqlRegistryRepository) -> Resolution:
    return resolve(order, registry.load())


def list_clients(registry: SqlRegistryRepository) -> tuple[Client, ...]:
    return registry.load().clients
