"""The entitlement use cases (service_layer/entitlements.py: grant, revoke, list, issue a scope grant) on fakes of the
registry and the entitlement store (tests/unit/scope/fakes.py): what is written with its audit entry, what is refused
before anything is written, and which scope a signed grant carries."""
from datetime import UTC, datetime

import pytest

from kernel.errors import InputError, NotFound
from kernel.grants import Area
from kernel.scope import Scope
from runtime.grant_keys import GrantKeys
from runtime.grant_tokens import verify
from services.scope.domain.entitlements import AuditEntry, Entitlement, GrantEntitlement, RevokeEntitlement
from services.scope.service_layer.entitlements import (
    IssueScopeGrant,
    grant_entitlement,
    issue_scope_grant,
    list_entitlements,
    revoke_entitlement,
)
from tests.unit.scope.fakes import FakeEntitlements, FakeRegistry

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
STAMP = "2026-01-05T09:00:00+00:00"
ANA, AUDITORS, OPS = "user:ana@leaf.example", "group:auditors", "user:ops@leaf.example"
KEYS = GrantKeys(("k1", b"unit-test-grant-secret-0123456789abcdef"))


def scope(client="C001", groups=()) -> Scope:
    return Scope.parse(client, "PBM_A", "2025-01-01", "2025-12-31", None, tuple(groups))


def granting(client="C001", groups=(), who=ANA, reason="audit 2025") -> GrantEntitlement:
    return GrantEntitlement(Entitlement(who, client, tuple(groups)), OPS, reason)


def test_a_grant_is_stored_with_its_audit_entry_and_replaces_the_principals_earlier_one():
    store = FakeEntitlements()
    grant_entitlement(granting(groups=["C001-G02"]), store, FakeRegistry(), NOW)
    granted = grant_entitlement(granting(reason="  whole client  "), store, FakeRegistry(), NOW)
    assert store.list() == [granted] == [Entitlement(ANA, "C001")]
    assert store.audit == [AuditEntry("grant", ANA, "C001", ("C001-G02",), OPS, "audit 2025", STAMP),
                           AuditEntry("grant", ANA, "C001", (), OPS, "whole client", STAMP)]


@pytest.mark.parametrize("order, code", [
    (granting(client="C009"), "unknown_client"),                   # a typo never grants nothing silently
    (granting(groups=["C002-G01"]), "unknown_group"),              # another client's group
    (granting(groups=["C001-G01", "C001-G99"]), "unknown_group"),  # a group the registry does not know
    (granting(reason="  "), "bad_input:reason"),                   # who decided why is required
    (GrantEntitlement(Entitlement(ANA, "C001"), "group:ops", "x"), "bad_input:principal"),  # an operator is a user
])
def test_a_grant_the_registry_or_the_audit_refuses_writes_nothing(order, code):
    store = FakeEntitlements()
    with pytest.raises(InputError) as refused:
        grant_entitlement(order, store, FakeRegistry(), NOW)
    assert refused.value.code == code
    assert store.rows == {} and store.audit == []


def test_revoke_removes_the_entitlement_with_its_audit_entry_and_says_when_there_was_none():
    store = FakeEntitlements(Entitlement(ANA, "C001", ("C001-G01",)), Entitlement(ANA, "C002"))
    # The principal is taken in its one spelling, so a capitalised email revokes the same entitlement.
    assert revoke_entitlement(RevokeEntitlement("user:Ana@Leaf.example", "C001", OPS, "left"), store, NOW)
    assert store.list() == [Entitlement(ANA, "C002")]
    assert store.audit == [AuditEntry("revoke", ANA, "C001", (), OPS, "left", STAMP)]
    assert not revoke_entitlement(RevokeEntitlement(ANA, "C001", OPS, "again"), store, NOW)
    assert len(store.audit) == 1
    with pytest.raises(InputError):
        revoke_entitlement(RevokeEntitlement(ANA, "C002", OPS, ""), store, NOW)
    assert Entitlement(ANA, "C002") in store.list()


def test_list_entitlements_is_everyones_or_one_principals_in_its_one_spelling():
    store = FakeEntitlements(Entitlement(ANA, "C001"), Entitlement(AUDITORS, "C002"))
    assert list_entitlements(None, store) == [Entitlement(AUDITORS, "C002"), Entitlement(ANA, "C001")]
    assert list_entitlements("user:ANA@leaf.example", store) == [Entitlement(ANA, "C001")]
    assert store.asked[-1] == [ANA]
    with pytest.raises(InputError):
        list_entitlements("ana", store)   # a principal without its kind is refused, never matched loosely


def test_an_exact_grant_is_the_requested_scope_narrowed_to_the_callers_entitled_groups_and_signed():
    store = FakeEntitlements(Entitlement(AUDITORS, "C001", ("C001-G02",)))
    issued = issue_scope_grant(IssueScopeGrant(scope(), ANA, (AUDITORS,)), store, KEYS, ttl=60, now=NOW)
    assert issued.scope == scope(groups=["C001-G02"]) and issued.kid == "k1"
    token = verify(issued.token, KEYS, NOW)
    assert (token.scope, token.principal, token.expires_at) == (issued.scope, ANA, issued.expires_at)
    assert (issued.expires_at - NOW).total_seconds() == 60


def test_a_read_grant_carries_every_area_the_callers_principals_may_see_and_nothing_else():
    store = FakeEntitlements(Entitlement(ANA, "C001", ("C001-G01",)), Entitlement(AUDITORS, "C001", ("C001-G02",)),
                             Entitlement("user:bob@leaf.example", "C002"))
    issued = issue_scope_grant(IssueScopeGrant(None, ANA, (AUDITORS,)), store, KEYS, now=NOW)
    assert issued.scope is None
    assert verify(issued.token, KEYS, NOW).areas == (Area("C001", ("C001-G01", "C001-G02")),)
    nobody = issue_scope_grant(IssueScopeGrant(None, "service:worker"), store, KEYS, now=NOW)
    assert verify(nobody.token, KEYS, NOW).areas == ()


def test_a_scope_outside_the_entitlements_gets_one_generic_not_found_whatever_the_reason():
    store = FakeEntitlements(Entitlement(ANA, "C001", ("C001-G01",)))
    answers = []
    for asked in (scope("C002"), scope(groups=["C001-G02"]), scope("C404")):
        with pytest.raises(NotFound) as refused:
            issue_scope_grant(IssueScopeGrant(asked, ANA), store, KEYS, now=NOW)
        answers.append((refused.value.code, refused.value.message))
    assert answers == [("scope_not_found", "no such scope for this caller")] * 3
