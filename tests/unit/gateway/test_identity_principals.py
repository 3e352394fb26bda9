"""The gateway's callers as mesh principals: users, their groups and service tokens never stand in for each other."""
import pytest

from kernel.errors import Unauthenticated
from services.gateway.adapters.callers import mesh_names
from services.gateway.domain.identity import Identity


def test_a_user_is_its_email_and_each_group_is_a_group_principal():
    user = Identity.user("Dana@Leaf.Health", "sub", ("leaf-demo", "Finance"))
    assert user.mesh_principal() == "user:dana@leaf.health"
    assert user.group_principals() == ("group:leaf-demo", "group:Finance")


def test_a_service_token_named_like_a_group_is_a_service():
    token = Identity.service("leaf-demo")
    assert (token.mesh_principal(), token.group_principals()) == ("service:leaf-demo", ())
    assert not token.is_operator("leaf-demo")


def test_a_group_with_whitespace_around_its_name_is_no_principal_at_all():
    """Its members are not taken for members of the group without the space (nothing is stripped)."""
    user = Identity.user("eve@evil.example", "sub", (" leaf-demo", "leaf-demo ", "leaf demo", "\tleaf-demo"))
    assert user.group_principals() == ()


def test_a_group_named_like_an_email_is_a_group_not_that_user():
    user = Identity.user("eve@evil.example", "sub", ("dana@leaf.health",))
    assert user.group_principals() == ("group:dana@leaf.health",)
    assert "user:dana@leaf.health" not in (user.mesh_principal(), *user.group_principals())


def test_an_operator_is_a_user_in_exactly_the_operator_group():
    assert Identity.user("ops@leaf.health", "sub", ("leaf-operators",)).is_operator("leaf-operators")
    for groups in ((), ("Leaf-Operators",), (" leaf-operators",), ("leaf-operators-x",)):
        assert not Identity.user("ops@leaf.health", "sub", groups).is_operator("leaf-operators"), groups


def test_a_verified_name_that_cannot_be_a_principal_is_refused_as_invalid_credentials():
    with pytest.raises(Unauthenticated) as refused:
        mesh_names(Identity.user("not an email", "sub"))
    assert (refused.value.code, refused.value.message) == ("unauthenticated", "invalid credentials")
    with pytest.raises(Unauthenticated):
        mesh_names(Identity.service("has space"))
