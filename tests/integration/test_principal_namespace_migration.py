"""Scope migration 0003: entitlements and their audit log written before principal namespaces get theirs."""
import json

from alembic import command
from sqlalchemy import insert

from runtime.db import _alembic_config, make_engine, migrate
from services.scope.adapters import tables
from services.scope.adapters.entitlements import SqlEntitlementRepository
from services.scope.bootstrap import MIGRATIONS
from services.scope.domain.entitlements import entitled_areas

OLD_ENTITLEMENTS = [("alice@leaf.health", "C001", ["C001-G01"]), ("leaf-demo", "C001", []), ("leaf-demo", "C002", []),
                    ("Leaf Ops", "C003", [])]   # a group name with a space: valid then, unreachable now
OLD_AUDIT = [("grant", "alice@leaf.health", "C001", "ops@leaf.health"), ("grant", "leaf-demo", "C001", "leaf demo"),
             ("grant", "leaf-demo", "C002", "local:ci"), ("revoke", "bob@leaf.health", "C002", "ops@leaf.health"),
             ("grant", "Leaf Ops", "C003", "ops@leaf.health")]


def test_old_principals_become_user_or_group_and_unreachable_ones_are_revoked_with_a_reason(db_url):
    engine = make_engine(db_url)
    config = _alembic_config("scope", MIGRATIONS, engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    with engine.begin() as db:
        db.execute(insert(tables.entitlements), [{"principal": p, "client_id": c, "group_ids": json.dumps(g)}
                                                 for p, c, g in OLD_ENTITLEMENTS])
        db.execute(insert(tables.entitlement_audit), [
            {"action": a, "principal": p, "client_id": c, "group_ids": "[]", "operator": o, "reason": "then",
             "recorded_at": "2025-06-01T00:00:00+00:00"} for a, p, c, o in OLD_AUDIT])
    migrate(engine, "scope", MIGRATIONS)
    store = SqlEntitlementRepository(engine)
    assert [(e.principal, e.client_id, e.group_ids) for e in store.list()] == [
        ("group:leaf-demo", "C001", ()), ("group:leaf-demo", "C002", ()),
        ("user:alice@leaf.health", "C001", ("C001-G01",))]
    # The demo group's members keep their clients; a service token or a user named like it gets nothing.
    assert [a.client_id for a in entitled_areas(["group:leaf-demo"], store.list())] == ["C001", "C002"]
    assert entitled_areas(["service:leaf-demo", "user:leaf-demo@x.example"], store.list()) == []
    log = [(a.action, a.principal, a.client_id, a.operator) for a in store.audit_log()]
    assert log[:5] == [("grant", "user:alice@leaf.health", "C001", "user:ops@leaf.health"),
                       ("grant", "group:leaf-demo", "C001", "leaf demo"),
                       ("grant", "group:leaf-demo", "C002", "local:ci"),
                       ("revoke", "user:bob@leaf.health", "C002", "user:ops@leaf.health"),
                       ("grant", "group:Leaf Ops", "C003", "user:ops@leaf.health")]
    assert log[5:] == [("revoke", "Leaf Ops", "C003", "migration:0003")]
    assert "whitespace" in store.audit_log()[5].reason
    engine.dispose()
