"""The scope use cases (service_layer/handlers.py: resolve_scope, list_clients, describe_scope, visible_registry) on
fakes of the registry and the entitlement store (tests/unit/scope/fakes.py): a caller sees only the clients its
principals are entitled to, and any other client answers exactly as one that does not exist."""
import pytest

from kernel.errors import NotFound
from services.scope.domain.entitlements import Entitlement
from services.scope.domain.names import DescribeScope, ScopeNames
from services.scope.domain.resolution import ResolveScope, State
from services.scope.service_layer.handlers import describe_scope, list_clients, resolve_scope, visible_registry
from tests.unit.scope.fakes import FakeEntitlements, FakeRegistry

ANA, AUDITORS, BOB = "user:ana@leaf.example", "group:auditors", "user:bob@leaf.example"


def store() -> FakeEntitlements:
    return FakeEntitlements(Entitlement(ANA, "C001", ("C001-G01",)), Entitlement(AUDITORS, "C001", ("C001-G02",)),
                            Entitlement(BOB, "C002"))


def ask(client: str, pbm: str = "PBM_A", groups=()) -> ResolveScope:
    return ResolveScope(client, pbm, "2025-01-01", "2025-12-31", None, tuple(groups))


def test_the_visible_registry_holds_only_the_clients_of_the_callers_principals():
    entitlements = store()
    seen = visible_registry(FakeRegistry(), entitlements, [ANA])
    assert [c.client_id for c in seen.clients] == ["C001"]
    assert {p.client_id for p in seen.plans} == {"C001"} and {g.client_id for g in seen.groups} == {"C001"}
    assert entitlements.asked == [[ANA]]   # only the caller's own rows are read
    assert visible_registry(FakeRegistry(), entitlements, []).clients == ()   # entitled to nothing: sees nothing


def test_list_clients_adds_up_the_callers_principals():
    assert [c.client_id for c in list_clients(FakeRegistry(), store(), [ANA, AUDITORS])] == ["C001"]
    assert [c.client_id for c in list_clients(FakeRegistry(), store(), [BOB, ANA])] == ["C001", "C002"]
    assert list_clients(FakeRegistry(), store(), ["service:worker"]) == ()


def test_resolution_of_a_client_outside_the_entitlements_is_exactly_that_of_one_that_does_not_exist():
    exact = resolve_scope(ask("C001"), FakeRegistry(), store(), [ANA])
    assert exact.state is State.EXACT and exact.scope.client_id == "C001"
    by_name = resolve_scope(ask("Acme Manufacturing"), FakeRegistry(), store(), [ANA])
    assert by_name.scope == exact.scope
    hidden = resolve_scope(ask("C002"), FakeRegistry(), store(), [ANA])
    absent = resolve_scope(ask("C404"), FakeRegistry(), store(), [ANA])
    assert (hidden.state, hidden.reasons, hidden.candidates) == (absent.state, absent.reasons, absent.candidates)
    assert hidden.state is State.UNKNOWN and "unknown_client" in hidden.reasons
    # Bob, entitled to C002, resolves it (and a display name of another client's does not leak to Ana).
    assert resolve_scope(ask("Harbor Foods"), FakeRegistry(), store(), [BOB]).scope.client_id == "C002"
    assert resolve_scope(ask("Harbor Foods"), FakeRegistry(), store(), [ANA]).state is State.UNKNOWN


def test_describe_names_only_the_groups_the_caller_may_see_of_a_client_it_is_entitled_to():
    order = DescribeScope("C001", "PBM_A", "TPA_1", ("C001-G02", "C001-G01", "C002-G01", "C001-G99"))
    assert describe_scope(order, FakeRegistry(), store(), [ANA]) == ScopeNames(
        "Acme Manufacturing", "Apex Rx", "First Admin", (("C001-G01", "Plant"),))
    assert describe_scope(order, FakeRegistry(), store(), [ANA, AUDITORS]).groups == (
        ("C001-G01", "Plant"), ("C001-G02", "Office"))
    # A whole-client entitlement names every named group of the client; a group without a name is left out.
    whole = describe_scope(DescribeScope("C002", "PBM_B", None, ("C002-G01", "C002-G02")), FakeRegistry(), store(),
                           [BOB])
    assert whole == ScopeNames("Harbor Foods", None, None, (("C002-G01", "Stores"),))


def test_describe_answers_a_client_outside_the_entitlements_as_one_that_does_not_exist():
    answers = []
    for client in ("C002", "C404"):
        with pytest.raises(NotFound) as refused:
            describe_scope(DescribeScope(client, "PBM_A"), FakeRegistry(), store(), [ANA])
        answers.append((refused.value.code, refused.value.message))
    assert answers == [("scope_not_found", "no such scope for this caller")] * 2
