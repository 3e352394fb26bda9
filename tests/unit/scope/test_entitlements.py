"""Entitlement rules: a caller's scope is the request intersected with what its principals may see."""
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kernel.errors import InputError
from kernel.scope import Scope
from services.scope.domain.entitlements import Entitlement, Refusal, entitled_groups, entitled_scope, principal

ALICE, AUDITORS = "user:alice@leaf.health", "group:auditors"


def scope(client="C001", groups=()):
    return Scope("C001" if client is None else client, "PBM_A", date(2025, 1, 1), date(2025, 12, 31), None, groups)


def test_a_client_not_entitled_is_refused():
    assert entitled_scope([ALICE], scope("C002"), [Entitlement(ALICE, "C001")]) == Refusal("client_not_entitled")
    assert entitled_scope([ALICE], scope(), []) == Refusal("client_not_entitled")


def test_someone_elses_entitlement_grants_nothing():
    bob = "user:bob@leaf.health"
    assert entitled_scope([bob], scope(), [Entitlement(ALICE, "C001")]) == Refusal("client_not_entitled")


def test_a_whole_client_entitlement_returns_the_request_unchanged():
    asked = scope(groups=("G2",))
    assert entitled_scope([ALICE], asked, [Entitlement(ALICE, "C001")]) == asked
    assert entitled_scope([ALICE], scope(), [Entitlement(ALICE, "C001")]) == scope()


def test_a_partial_entitlement_narrows_an_all_groups_request():
    granted = entitled_scope([ALICE], scope(), [Entitlement(ALICE, "C001", ("G2", "G1"))])
    assert granted == scope(groups=("G1", "G2"))
    assert granted.scope_hash != scope().scope_hash and granted.is_partial


def test_a_request_naming_a_group_outside_the_entitlement_is_refused():
    rights = [Entitlement(ALICE, "C001", ("G1",))]
    assert entitled_scope([ALICE], scope(groups=("G1", "G9")), rights) == Refusal("group_not_entitled")
    assert entitled_scope([ALICE], scope(groups=("G1",)), rights) == scope(groups=("G1",))


def test_the_callers_principals_add_up():
    rights = [Entitlement(ALICE, "C001", ("G1",)), Entitlement(AUDITORS, "C001", ("G2",))]
    assert entitled_scope([ALICE, AUDITORS], scope(), rights) == scope(groups=("G1", "G2"))
    rights.append(Entitlement(AUDITORS, "C001"))
    assert entitled_scope([ALICE, AUDITORS], scope(groups=("G7",)), rights) == scope(groups=("G7",))


def test_a_users_email_is_one_spelling_whatever_its_case():
    assert principal("user:Alice@Leaf.Health") == ALICE
    assert entitled_groups([ALICE], "C001", [Entitlement("user:alice@LEAF.health", "C001")]) == frozenset()


def test_group_and_service_names_match_exactly():
    assert principal("group:Auditors") == "group:Auditors" != AUDITORS
    assert principal("group:alice@leaf.health") == "group:alice@leaf.health"   # a group named like an email
    assert principal("service:leaf-demo") == "service:leaf-demo"


def test_principals_of_different_kinds_never_share_an_entitlement():
    """A service token named like a group, and a group named like a user's email, are someone else."""
    rights = [Entitlement("group:leaf-demo", "C001"), Entitlement(ALICE, "C002")]
    assert entitled_scope(["service:leaf-demo"], scope("C001"), rights) == Refusal("client_not_entitled")
    assert entitled_scope(["group:alice@leaf.health"], scope("C002"), rights) == Refusal("client_not_entitled")
    assert entitled_scope(["group:Leaf-demo"], scope("C001"), rights) == Refusal("client_not_entitled")
    assert entitled_scope(["group:leaf-demo"], scope("C001"), rights) == scope("C001")


@pytest.mark.parametrize("bad", ["", "  ", "alice@leaf.health", "auditors", "user:", "group:", "service:",
                                 "group: leaf-demo", " group:leaf-demo", "group:leaf-demo ", "group:leaf demo",
                                 "group:\tx", "user:a@b", "user:@leaf.health", "admin:root", "workload:publisher",
                                 "local:ops", "group:" + "x" * 200])
def test_a_principal_is_namespaced_without_whitespace(bad):
    with pytest.raises(InputError) as raised:
        principal(bad)
    assert raised.value.code == "bad_input:principal"
    with pytest.raises(InputError):
        Entitlement(bad, "C001")


def test_an_entitlement_needs_a_client_and_real_group_ids():
    with pytest.raises(InputError):
        Entitlement(ALICE, "")
    with pytest.raises(InputError):
        Entitlement(ALICE, "C001", ("",))


PRINCIPALS = st.sampled_from([ALICE, "user:bob@leaf.health", AUDITORS, "group:finance", "service:finance"])
CLIENTS = st.sampled_from(["C001", "C002", "C003"])
GROUPS = st.lists(st.sampled_from(["G1", "G2", "G3", "G4"]), max_size=3, unique=True).map(tuple)
ENTITLEMENTS = st.lists(st.builds(Entitlement, PRINCIPALS, CLIENTS, GROUPS), max_size=8)


@given(rights=ENTITLEMENTS, caller=st.lists(PRINCIPALS, min_size=1, max_size=2), client=CLIENTS, groups=GROUPS)
def test_a_granted_scope_never_reaches_beyond_the_entitlements(rights, caller, client, groups):
    asked = scope(client, groups)
    result = entitled_scope(caller, asked, rights)
    mine = [e for e in rights if e.principal in caller and e.client_id == client]
    if isinstance(result, Refusal):
        whole = any(not e.group_ids for e in mine)
        allowed = {g for e in mine for g in e.group_ids}
        assert not mine or (not whole and groups and not set(groups) <= allowed)
        return
    assert mine, "a scope was granted for a client none of the caller's principals is entitled to"
    granted = (result.client_id, result.pbm_id, result.date_from, result.date_to)
    assert granted == (client, "PBM_A", asked.date_from, asked.date_to)
    if any(not e.group_ids for e in mine):
        assert result == asked
    else:
        assert result.group_ids, "an all-groups scope was granted on group-level entitlements only"
        assert set(result.group_ids) <= {g for e in mine for g in e.group_ids}
        assert not groups or set(result.group_ids) == set(groups)
