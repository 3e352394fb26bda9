"""Entitlements and scope grants over a real ScopeService (SQLite and PostgreSQL): grant, list, issue, revoke, audit —
each for the verified caller identity only. Direct calls as any local process can make them (no identity, a
forged, expired or non-operator one, a read grant alone) change nothing, list nothing and grant nothing."""
import secrets
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from demo import load_registry
from kernel.scope import Scope
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime import identity_tokens
from runtime.convert import scope_from_proto, scope_to_proto
from runtime.grant_keys import GrantKeys
from runtime.grant_tokens import verify
from runtime.grpc_errors import reason_of
from runtime.identity_keys import IdentityKeys, local_identity_keys
from services.scope.adapters.entitlements import SqlEntitlementRepository
from services.scope.bootstrap import ScopeSettings, bootstrap, open_registry
from tests.integration.mesh_fixtures import caller, channel_to, read_grant, running

KEYS = GrantKeys(("mesh-1", b"k" * 32))
ALICE = "user:alice@leaf.health"
OPS = "user:ops@leaf.health"
C001_2025 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")


def operator():
    """Signed when called: the key is the test's own, under its LEAF_HOME."""
    return caller(OPS, operator=True)


def as_alice():
    return caller(ALICE)


@pytest.fixture
async def scope_service(db_url):
    registry = open_registry(db_url)
    registry.replace(load_registry())
    deps = bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=db_url), registry, keys=KEYS)
    async with running(deps) as address, channel_to(address) as channel:
        yield scope_pb2_grpc.ScopeServiceStub(channel), SqlEntitlementRepository(registry.engine), channel


async def refusal(call) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value.code(), reason_of(raised.value), raised.value.details()


def grant_request(principal, client, groups=(), reason="audit engagement 2025"):
    return scope_pb2.GrantEntitlementRequest(
        entitlement=scope_pb2.Entitlement(principal=principal, client_id=client, group_ids=groups), reason=reason)


def issue(scope=C001_2025):
    return scope_pb2.IssueScopeGrantRequest(scope=scope_to_proto(scope) if scope else None)


def signed(principal=OPS, groups=(), operator=True, keys=None, now=None):
    token, _ = identity_tokens.sign(principal, groups, operator, keys or local_identity_keys(), now=now)
    return ((identity_tokens.METADATA_KEY, token),)


# Every way a local process could call without being a verified operator: (label, metadata, status, reason).
NOT_OPERATORS = [
    ("no identity", lambda: (), grpc.StatusCode.UNAUTHENTICATED, "identity_missing"),
    ("empty identity", lambda: ((identity_tokens.METADATA_KEY, ""),), grpc.StatusCode.UNAUTHENTICATED, "identity_missing"),
    ("forged: another key", lambda: signed(keys=IdentityKeys(("local", secrets.token_bytes(32)))),
     grpc.StatusCode.UNAUTHENTICATED, "identity_invalid"),
    ("forged: unknown kid", lambda: signed(keys=IdentityKeys(("stranger", secrets.token_bytes(32)))),
     grpc.StatusCode.UNAUTHENTICATED, "identity_invalid"),
    ("expired", lambda: signed(now=datetime.now(UTC) - timedelta(hours=1)),
     grpc.StatusCode.UNAUTHENTICATED, "identity_expired"),
    ("a read grant alone", lambda: tuple(kv for kv in read_grant("C001") if kv[0] != identity_tokens.METADATA_KEY),
     grpc.StatusCode.UNAUTHENTICATED, "identity_missing"),
    ("not an operator", lambda: signed(ALICE, ("group:leaf-operators",), operator=False),
     grpc.StatusCode.PERMISSION_DENIED, "operator_required"),
    ("a service token", lambda: signed("service:leaf-operators", operator=False),
     grpc.StatusCode.PERMISSION_DENIED, "operator_required"),
    ("another workload", lambda: signed("workload:calc", operator=False),
     grpc.StatusCode.PERMISSION_DENIED, "operator_required"),
    ("a read grant and an analyst", lambda: read_grant("C001"), grpc.StatusCode.PERMISSION_DENIED, "operator_required"),
]


async def test_grant_list_issue_revoke_and_audit(scope_service):
    stub, store, _ = scope_service
    granted = await stub.GrantEntitlement(grant_request("user:Alice@Leaf.Health", "C001", ["C001-G02", "C001-G01"]),
                                          metadata=operator())
    await stub.GrantEntitlement(grant_request("group:auditors", "C002"), metadata=operator())
    assert (granted.principal, list(granted.group_ids)) == (ALICE, ["C001-G01", "C001-G02"])
    mine = await stub.ListEntitlements(scope_pb2.ListEntitlementsRequest(principal=ALICE), metadata=operator())
    assert [(e.principal, e.client_id) for e in mine.entitlements] == [(ALICE, "C001")]
    every = await stub.ListEntitlements(scope_pb2.ListEntitlementsRequest(), metadata=operator())
    assert len(every.entitlements) == 2

    issued = await stub.IssueScopeGrant(issue(), metadata=as_alice())
    grant = verify(issued.token, KEYS)
    narrowed = scope_from_proto(issued.scope)
    assert narrowed.group_ids == ("C001-G01", "C001-G02") and grant.scope == narrowed
    assert (issued.key_id, grant.principal, grant.scope_hash) == ("mesh-1", ALICE, issued.scope.scope_hash)
    assert issued.expires_at == grant.expires_at.isoformat()

    revoked = await stub.RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
        principal=ALICE, client_id="C001", reason="engagement ended"), metadata=operator())
    assert revoked.revoked
    again = stub.IssueScopeGrant(issue(), metadata=as_alice())
    assert await refusal(again) == (grpc.StatusCode.NOT_FOUND, "scope_not_found", "no such scope for this caller")
    log = store.audit_log()
    assert [(a.action, a.principal, a.client_id, a.group_ids, a.operator, a.reason) for a in log] == [
        ("grant", ALICE, "C001", ("C001-G01", "C001-G02"), OPS, "audit engagement 2025"),
        ("grant", "group:auditors", "C002", (), OPS, "audit engagement 2025"),
        ("revoke", ALICE, "C001", (), OPS, "engagement ended"),
    ]
    assert all(a.recorded_at for a in log)


async def test_the_admin_rpcs_refuse_every_caller_but_a_verified_operator(scope_service):
    stub, store, _ = scope_service
    await stub.GrantEntitlement(grant_request(ALICE, "C001"), metadata=operator())
    calls = {
        "GrantEntitlement": lambda md: stub.GrantEntitlement(grant_request("user:mallory@evil.example", "C002"),
                                                             metadata=md),
        "RevokeEntitlement": lambda md: stub.RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
            principal=ALICE, client_id="C001", reason="gone"), metadata=md),
        "ListEntitlements": lambda md: stub.ListEntitlements(scope_pb2.ListEntitlementsRequest(), metadata=md),
    }
    for method, call in calls.items():
        for label, metadata, status, reason in NOT_OPERATORS:
            assert (await refusal(call(metadata())))[:2] == (status, reason), (method, label)
    assert [(e.principal, e.client_id) for e in store.list()] == [(ALICE, "C001")]
    assert [(a.action, a.operator) for a in store.audit_log()] == [("grant", OPS)]


async def test_an_operator_field_on_the_wire_is_not_believed(scope_service):
    """An old client's `operator` field (now reserved) reaches the server as an unknown field: the audit log still
    names the verified operator who called, and a non-operator is refused whatever the field says."""
    stub, store, channel = scope_service
    body = grant_request(ALICE, "C001").SerializeToString()
    forged = body + b"\x1a" + bytes([len(b"ceo@leaf.health")]) + b"ceo@leaf.health"  # field 3, length-delimited
    raw = channel.unary_unary(
        "/leaf.scope.v1.ScopeService/GrantEntitlement", request_serializer=lambda b: b,
        response_deserializer=scope_pb2.Entitlement.FromString)
    assert (await refusal(raw(forged, metadata=as_alice())))[1] == "operator_required"
    await raw(forged, metadata=operator())
    assert [(a.principal, a.operator) for a in store.audit_log()] == [(ALICE, OPS)]


async def test_the_publisher_workload_may_list_entitlements_and_do_nothing_else(scope_service):
    stub, store, _ = scope_service
    await stub.GrantEntitlement(grant_request("group:auditors", "C002"), metadata=operator())
    publisher = signed("workload:publisher", operator=False)
    listed = await stub.ListEntitlements(scope_pb2.ListEntitlementsRequest(), metadata=publisher)
    assert [e.principal for e in listed.entitlements] == ["group:auditors"]
    assert (await refusal(stub.GrantEntitlement(grant_request("workload:publisher", "C001"),
                                                metadata=publisher)))[1] == "operator_required"
    # A workload is entitled to nothing: it resolves and lists no client.
    assert (await stub.ListClients(scope_pb2.ListClientsRequest(), metadata=publisher)).clients == []


async def test_issue_scope_grant_is_for_the_verified_caller_only(scope_service):
    stub, _, _ = scope_service
    await stub.GrantEntitlement(grant_request("group:leaf-demo", "C001"), metadata=operator())
    for label, metadata, status, reason in NOT_OPERATORS[:6]:  # no verified identity at all
        assert (await refusal(stub.IssueScopeGrant(issue(), metadata=metadata())))[:2] == (status, reason), label
    # Mallory's own identity is entitled to nothing; the group's name spelled otherwise is someone else.
    for who, groups in (("user:mallory@evil.example", ()), ("service:leaf-demo", ()),
                        ("user:mallory@evil.example", ("group:Leaf-demo", "group:leaf-demo.")),
                        ("user:leaf-demo@evil.example", ())):
        outcome = await refusal(stub.IssueScopeGrant(issue(), metadata=signed(who, groups, operator=False)))
        assert outcome[:2] == (grpc.StatusCode.NOT_FOUND, "scope_not_found"), (who, groups)
        read = await stub.IssueScopeGrant(issue(None), metadata=signed(who, groups, operator=False))
        assert verify(read.token, KEYS).areas == (), (who, groups)
    member = await stub.IssueScopeGrant(issue(), metadata=signed("user:dana@leaf.health", ("group:leaf-demo",), False))
    assert verify(member.token, KEYS).principal == "user:dana@leaf.health"


async def test_resolution_and_listing_see_only_the_callers_clients(scope_service):
    stub, _, _ = scope_service
    await stub.GrantEntitlement(grant_request(ALICE, "C001"), metadata=operator())
    request = scope_pb2.ResolveScopeRequest(client_id="C002", pbm_id="PBM_C", date_from="2025-01-01", date_to="2025-12-31")
    assert (await refusal(stub.ResolveScope(request)))[:2] == (grpc.StatusCode.UNAUTHENTICATED, "identity_missing")
    assert (await refusal(stub.ListClients(scope_pb2.ListClientsRequest())))[1] == "identity_missing"
    assert (await stub.ResolveScope(request, metadata=as_alice())).state == scope_pb2.UNKNOWN
    listed = await stub.ListClients(scope_pb2.ListClientsRequest(), metadata=as_alice())
    assert [c.client_id for c in listed.clients] == ["C001"]
    # An operator is not entitled to clients by being one: no identity sees the whole registry.
    assert (await stub.ListClients(scope_pb2.ListClientsRequest(), metadata=operator())).clients == []


async def test_out_of_entitlement_is_not_found_and_says_nothing_more(scope_service):
    stub, _, _ = scope_service
    await stub.GrantEntitlement(grant_request(ALICE, "C001", ["C001-G01"]), metadata=operator())
    other_client = Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31")
    other_group = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("C001-G03",))
    unknown = Scope.parse("C999", "PBM_A", "2025-01-01", "2025-12-31")
    answers = [await refusal(stub.IssueScopeGrant(issue(s), metadata=as_alice()))
               for s in (other_client, other_group, unknown)]
    assert answers == [(grpc.StatusCode.NOT_FOUND, "scope_not_found", "no such scope for this caller")] * 3


async def test_a_group_membership_entitles_its_members(scope_service):
    stub, _, _ = scope_service
    await stub.GrantEntitlement(grant_request("group:auditors", "C001"), metadata=operator())
    issued = await stub.IssueScopeGrant(issue(), metadata=caller(ALICE, ("group:auditors",)))
    assert verify(issued.token, KEYS).scope == C001_2025
    alone = stub.IssueScopeGrant(issue(), metadata=as_alice())
    assert (await refusal(alone))[0] == grpc.StatusCode.NOT_FOUND


async def test_bad_grants_are_refused_with_what_to_fix(scope_service):
    stub, store, _ = scope_service
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C999"), metadata=operator())))[:2] == (
        grpc.StatusCode.INVALID_ARGUMENT, "unknown_client")
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C001", ["C002-G01"]),
                                                metadata=operator())))[1] == "unknown_group"
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C001", reason=" "),
                                                metadata=operator())))[1] == "bad_input:reason"
    for bad in ("alice@leaf.health", "auditors", "group: auditors", "group:", "admin:root", "workload:publisher"):
        assert (await refusal(stub.GrantEntitlement(grant_request(bad, "C001"),
                                                    metadata=operator())))[1] == "bad_input:principal", bad
    tampered = scope_to_proto(C001_2025)
    tampered.scope.client_id = "C002"
    forged = stub.IssueScopeGrant(scope_pb2.IssueScopeGrantRequest(scope=tampered), metadata=as_alice())
    assert (await refusal(forged))[1] == "bad_input:scope"
    nothing = await stub.RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
        principal=ALICE, client_id="C001", reason="tidy"), metadata=operator())
    assert not nothing.revoked
    assert store.list() == [] and store.audit_log() == []
