"""Fakes of the scope service's ports (services/scope/service_layer/ports.py), in memory: the use cases run on these
in unit tests without a database (style.md 11). A small registry is built in code, not read from demo/."""
from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import date

from services.scope.domain.entitlements import AuditEntry, Entitlement
from services.scope.domain.registry import Client, Group, Plan, Registry

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def small_registry() -> Registry:
    """Two clients on PBM_A through TPA_1, each with two groups; C001's are named, one of C002's is not."""
    return Registry(
        clients=(Client("C001", "Acme Manufacturing"), Client("C002", "Harbor Foods")),
        pbm_ids=frozenset({"PBM_A", "PBM_B"}), tpa_ids=frozenset({"TPA_1"}),
        plans=(Plan("C001", "PBM_A", "TPA_1", *YEAR), Plan("C002", "PBM_A", "TPA_1", *YEAR)),
        groups=(Group("C001-G01", "C001", "TPA_1", "Plant", *YEAR), Group("C001-G02", "C001", "TPA_1", "Office", *YEAR),
                Group("C002-G01", "C002", "TPA_1", "Stores", *YEAR), Group("C002-G02", "C002", "TPA_1", "", *YEAR)),
        pbm_names={"PBM_A": "Apex Rx"}, tpa_names={"TPA_1": "First Admin"})


class FakeRegistry:
    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or small_registry()
        self.loads = 0

    def load(self) -> Registry:
        self.loads += 1
        return self.registry


class FakeEntitlements:
    """Entitlements by (principal, client); each change lands with its audit entry, as in one transaction."""

    def __init__(self, *granted: Entitlement) -> None:
        self.rows: dict[tuple[str, str], Entitlement] = {(e.principal, e.client_id): e for e in granted}
        self.audit: builtins.list[AuditEntry] = []
        self.asked: builtins.list[builtins.list[str] | None] = []   # the principals of each list() call

    def list(self, principals: Iterable[str] | None = None) -> builtins.list[Entitlement]:
        named = None if principals is None else builtins.list(principals)
        self.asked.append(named)
        return sorted((e for e in self.rows.values() if named is None or e.principal in named),
                      key=lambda e: (e.principal, e.client_id))

    def grant(self, entitlement: Entitlement, entry: AuditEntry) -> None:
        self.rows[(entitlement.principal, entitlement.client_id)] = entitlement
        self.audit.append(entry)

    def revoke(self, principal: str, client_id: str, entry: AuditEntry) -> bool:
        if self.rows.pop((principal, client_id), None) is None:
            return False
        self.audit.append(entry)
        return True
