"""What the scope use cases need from outside (style.md 11): the registry and the entitlements, each behind a port
that adapters/ implements on SQLAlchemy and a unit test can fake."""
from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Protocol

from services.scope.domain.entitlements import AuditEntry, Entitlement
from services.scope.domain.registry import Registry


class RegistryRepository(Protocol):
    def load(self) -> Registry:
        """The whole registry: clients, PBMs, TPAs, plans and groups with their validity dates."""


class EntitlementRepository(Protocol):
    def list(self, principals: Iterable[str] | None = None) -> builtins.list[Entitlement]:
        """Every entitlement, or those of the given principals (already in their one spelling)."""

    def grant(self, entitlement: Entitlement, entry: AuditEntry) -> None:
        """Grant, replacing the principal's earlier entitlement to the same client, with its audit entry at once."""

    def revoke(self, principal: str, client_id: str, entry: AuditEntry) -> bool:
        """Remove the entitlement with its audit entry; False (and no entry) when there was none."""
