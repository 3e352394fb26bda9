"""Principals get their namespace: an entitlement (and its audit entries) named an email or a group name alike.

Every existing principal holding an '@' becomes `user:<it>` and every other `group:<it>` (the only two kinds
there were; emails were already stored case-folded). The audit log's operators that were emails become
`user:` too; other operators (`local:<OS user>`, the demo's name) stay as recorded, being history. An
entitlement whose namespaced principal could never match a caller any more (a space in a group name,
longer than the column) is removed, with a `revoke` audit entry saying why, rather than kept unreachable.
The rule is written out here, not imported, so this migration never changes.
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MAX_LENGTH = 200
OPERATOR = "migration:0003"
REASON = "principal namespaces: this principal cannot be written as user:, group: or service: (whitespace or length)"
entitlements = sa.table("entitlements", sa.column("principal", sa.String), sa.column("client_id", sa.String),
                        sa.column("group_ids", sa.Text))
audit = sa.table("entitlement_audit", sa.column("audit_id", sa.Integer), sa.column("action", sa.String),
                 sa.column("principal", sa.String), sa.column("client_id", sa.String), sa.column("group_ids", sa.Text),
                 sa.column("operator", sa.String), sa.column("reason", sa.Text), sa.column("recorded_at", sa.String))


def namespaced(principal: str) -> str:
    return ("user:" if "@" in principal else "group:") + principal


def reachable(principal: str) -> bool:
    return len(principal) <= MAX_LENGTH and not any(c.isspace() for c in principal)


def upgrade() -> None:
    if context.is_offline_mode():  # DDL rendered as text reads no rows: there is nothing to convert
        return
    db = op.get_bind()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    for row in db.execute(sa.select(entitlements)).all():
        new = namespaced(row.principal)
        where = (entitlements.c.principal == row.principal) & (entitlements.c.client_id == row.client_id)
        if reachable(new):
            db.execute(entitlements.update().where(where).values(principal=new))
        else:
            db.execute(entitlements.delete().where(where))
            db.execute(audit.insert().values(action="revoke", principal=row.principal[:MAX_LENGTH],
                                             client_id=row.client_id, group_ids="[]", operator=OPERATOR,
                                             reason=REASON, recorded_at=now))
    for row in db.execute(sa.select(audit.c.audit_id, audit.c.principal, audit.c.operator)
                          .where(audit.c.operator != OPERATOR)).all():
        principal = namespaced(row.principal)
        operator = f"user:{row.operator}" if "@" in row.operator and ":" not in row.operator else row.operator
        db.execute(audit.update().where(audit.c.audit_id == row.audit_id).values(
            principal=principal if len(principal) <= MAX_LENGTH else row.principal,
            operator=operator if len(operator) <= MAX_LENGTH else row.operator))


def downgrade() -> None:
    """Back to bare names; a `service:` entitlement had no spelling before, so it goes."""
    db = op.get_bind()
    for row in db.execute(sa.select(entitlements.c.principal, entitlements.c.client_id)).all():
        where = (entitlements.c.principal == row.principal) & (entitlements.c.client_id == row.client_id)
        kind, _, name = row.principal.partition(":")
        if kind in ("user", "group"):
            db.execute(entitlements.update().where(where).values(principal=name))
        else:
            db.execute(entitlements.delete().where(where))
    for row in db.execute(sa.select(audit.c.audit_id, audit.c.principal, audit.c.operator)).all():
        bare = lambda text: text.partition(":")[2] if text.startswith(("user:", "group:")) else text  # noqa: E731
        db.execute(audit.update().where(audit.c.audit_id == row.audit_id)
                   .values(principal=bare(row.principal), operator=bare(row.operator)))
