"""Entitlements and scope grants over a real ScopeService (SQLite and PostgreSQL): grant, list, issue, revoke, audit."""
import grpc
import pytest
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc

from demo import load_registry
from runtime.convert import scope_from_proto, scope_to_proto
from runtime.grant_keys import GrantKeys
from runtime.grants import verify
from runtime.grpc_errors import from_rpc_error
from runtime.scope import Scope
from services.scope.adapters.entitlements import SqlEntitlementRepository
from services.scope.bootstrap import ScopeSettings, bootstrap, open_registry
from tests.integration.mesh_fixtures import channel_to, running

KEYS = GrantKeys(("mesh-1", b"k" * 32))
ALICE = "alice@leaf.health"
C001_2025 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")


@pytest.fixture
async def scope_service(db_url):
    registry = open_registry(db_url)
    registry.replace(load_registry())
    deps = bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=db_url), registry, keys=KEYS)
    async with running(deps) as address, channel_to(address) as channel:
        yield scope_pb2_grpc.ScopeServiceStub(channel), SqlEntitlementRepository(registry.engine)


async def refusal(call) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value.code(), from_rpc_error(raised.value).code, raised.value.details()


def grant_request(principal, client, groups=(), reason="audit engagement 2025", operator="ops@leaf.health"):
    return scope_pb2.GrantEntitlementRequest(
        entitlement=scope_pb2.Entitlement(principal=principal, client_id=client, group_ids=groups),
        reason=reason, operator=operator)


async def test_grant_list_issue_revoke_and_audit(scope_service):
    stub, store = scope_service
    granted = await stub.GrantEntitlement(grant_request("Alice@Leaf.Health", "C001", ["C001-G02", "C001-G01"]))
    await stub.GrantEntitlement(grant_request("auditors", "C002"))
    assert (granted.principal, list(granted.group_ids)) == (ALICE, ["C001-G01", "C001-G02"])
    mine = await stub.ListEntitlements(scope_pb2.ListEntitlementsRequest(principal=ALICE))
    assert [(e.principal, e.client_id) for e in mine.entitlements] == [(ALICE, "C001")]
    assert len((await stub.ListEntitlements(scope_pb2.ListEntitlementsRequest())).entitlements) == 2

    issued = await stub.IssueScopeGrant(scope_pb2.IssueScopeGrantRequest(scope=scope_to_proto(C001_2025), principal=ALICE))
    grant = verify(issued.token, KEYS)
    narrowed = scope_from_proto(issued.scope)
    assert narrowed.group_ids == ("C001-G01", "C001-G02") and grant.scope == narrowed
    assert (issued.key_id, grant.principal, grant.scope_hash) == ("mesh-1", ALICE, issued.scope.scope_hash)
    assert issued.expires_at == grant.expires_at.isoformat()

    revoked = await stub.RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
        principal=ALICE, client_id="C001", reason="engagement ended", operator="ops@leaf.health"))
    assert revoked.revoked
    again = stub.IssueScopeGrant(scope_pb2.IssueScopeGrantRequest(scope=scope_to_proto(C001_2025), principal=ALICE))
    assert await refusal(again) == (grpc.StatusCode.NOT_FOUND, "scope_not_found", "no such scope for this caller")
    log = store.audit_log()
    assert [(a.action, a.principal, a.client_id, a.group_ids, a.operator, a.reason) for a in log] == [
        ("grant", ALICE, "C001", ("C001-G01", "C001-G02"), "ops@leaf.health", "audit engagement 2025"),
        ("grant", "auditors", "C002", (), "ops@leaf.health", "audit engagement 2025"),
        ("revoke", ALICE, "C001", (), "ops@leaf.health", "engagement ended"),
    ]
    assert all(a.recorded_at for a in log)


async def test_out_of_entitlement_is_not_found_and_says_nothing_more(scope_service):
    stub, _ = scope_service
    await stub.GrantEntitlement(grant_request(ALICE, "C001", ["C001-G01"]))
    other_client = scope_to_proto(Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31"))
    other_group = scope_to_proto(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("C001-G03",)))
    unknown = scope_to_proto(Scope.parse("C999", "PBM_A", "2025-01-01", "2025-12-31"))
    answers = [await refusal(stub.IssueScopeGrant(scope_pb2.IssueScopeGrantRequest(scope=s, principal=ALICE)))
               for s in (other_client, other_group, unknown)]
    assert answers == [(grpc.StatusCode.NOT_FOUND, "scope_not_found", "no such scope for this caller")] * 3


async def test_a_group_membership_entitles_its_members(scope_service):
    stub, _ = scope_service
    await stub.GrantEntitlement(grant_request("auditors", "C001"))
    request = scope_pb2.IssueScopeGrantRequest(scope=scope_to_proto(C001_2025), principal=ALICE, principal_groups=["auditors"])
    issued = await stub.IssueScopeGrant(request)
    assert verify(issued.token, KEYS).scope == C001_2025
    alone = stub.IssueScopeGrant(scope_pb2.IssueScopeGrantRequest(scope=scope_to_proto(C001_2025), principal=ALICE))
    assert (await refusal(alone))[0] == grpc.StatusCode.NOT_FOUND


async def test_bad_grants_are_refused_with_what_to_fix(scope_service):
    stub, store = scope_service
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C999"))))[:2] == (
        grpc.StatusCode.INVALID_ARGUMENT, "unknown_client")
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C001", ["C002-G01"]))))[1] == "unknown_group"
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C001", reason=" "))))[1] == "bad_input:reason"
    assert (await refusal(stub.GrantEntitlement(grant_request(ALICE, "C001", operator=""))))[1] == "bad_input:principal"
    assert (await refusal(stub.GrantEntitlement(grant_request("not an @email", "C001"))))[1] == "bad_input:principal"
    tampered = scope_to_proto(C001_2025)
    tampered.scope.client_id = "C002"
    forged = stub.IssueScopeGrant(scope_pb2.IssueScopeGrantRequest(scope=tampered, principal=ALICE))
    assert (await refusal(forged))[1] == "bad_input:scope"
    nothing = await stub.RevokeEntitlement(scope_pb2.RevokeEntitlementRequest(
        principal=ALICE, client_id="C001", reason="tidy", operator="ops@leaf.health"))
    assert not nothing.revoked
    assert store.list() == [] and store.audit_log() == []
