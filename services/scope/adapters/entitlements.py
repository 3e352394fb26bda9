"""The entitlement repository on SQLAlchemy: each change and its audit entry are written in one transaction."""
from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import Engine, delete, insert, select

from services.scope.adapters import tables
from services.scope.domain.entitlements import AuditEntry, Entitlement

T = tables.entitlements


class SqlEntitlementRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def list(self, principals: Iterable[str] | None = None) -> list[Entitlement]:
        """Every entitlement, or those of the given principals (already in their one spelling)."""
        query = select(T).order_by(T.c.principal, T.c.client_id)
        if principals is not None:
            query = query.where(T.c.principal.in_(list(principals)))
        with self.engine.connect() as db:
            return [Entitlement(r.principal, r.client_id, tuple(json.loads(r.group_ids))) for r in db.execute(query)]

    def grant(self, entitlement: Entitlement, entry: AuditEntry) -> None:
        """Grant, replacing the principal's earlier entitlement to the same client."""
        with self.engine.begin() as db:
            db.execute(delete(T).where(T.c.principal == entitlement.principal, T.c.client_id == entitlement.client_id))
            db.execute(insert(T).values(principal=entitlement.principal, client_id=entitlement.client_id,
                                        group_ids=json.dumps(list(entitlement.group_ids))))
            db.execute(insert(tables.entitlement_audit).values(**_row(entry)))

    def revoke(self, principal: str, client_id: str, entry: AuditEntry) -> bool:
        """Remove the entitlement; False (and no audit entry) when there was none."""
        with self.engine.begin() as db:
            removed = db.execute(delete(T).where(T.c.principal == principal, T.c.client_id == client_id)).rowcount
            if removed:
                db.execute(insert(tables.entitlement_audit).values(**_row(entry)))
        return bool(removed)

    def audit_log(self, principal: str | None = None) -> list[AuditEntry]:
        A = tables.entitlement_audit
        query = select(A).order_by(A.c.audit_id)
        if principal is not None:
            query = query.where(A.c.principal == principal)
        with self.engine.connect() as db:
            return [AuditEntry(r.action, r.principal, r.client_id, tuple(json.loads(r.group_ids)), r.operator, r.reason,
                               r.recorded_at) for r in db.execute(query)]


def _row(entry: AuditEntry) -> dict:
    return {"action": entry.action, "principal": entry.principal, "client_id": entry.client_id,
            "group_ids": json.dumps(list(entry.group_ids)), "operator": entry.operator, "reason": entry.reason,
            "recorded_at": entry.recorded_at}
