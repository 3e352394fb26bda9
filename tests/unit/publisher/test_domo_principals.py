"""Mesh principals in Domo's row policies: users by email, groups by name, nothing Domo could mistake for another."""
from services.publisher.domain.domo_principals import domo_entitlements, domo_principal


def test_users_and_groups_become_domo_users_and_groups():
    assert domo_principal("user:dana@leaf.health") == "dana@leaf.health"
    assert domo_principal("group:C001 Analysts") == "C001 Analysts"
    assert domo_principal("group:leaf-demo") == "leaf-demo"


def test_what_domo_cannot_hold_apart_gets_no_policy():
    # A service token has no Domo account; a group named like an email would be read as that user; ':' splits names.
    assert domo_principal("service:leaf-demo") is None
    assert domo_principal("group:dana@leaf.health") is None
    assert domo_principal("group:a:b") is None
    assert domo_principal("workload:publisher") is None


def test_entitlements_keep_their_clients_and_groups():
    assert domo_entitlements([("user:dana@leaf.health", "C001", ("G1",)), ("service:domo", "C001", None),
                              ("group:leaf-demo", "C002", None)]) == [("dana@leaf.health", "C001", ("G1",)),
                                                                      ("leaf-demo", "C002", None)]
