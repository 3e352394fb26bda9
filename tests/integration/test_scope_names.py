"""Names beside ids, through the scope service's DescribeScope (SQLite and PostgreSQL): only for the verified
caller's own clients, and only that client's groups it may see; no identity is refused, and another client's
scope is answered exactly as one that does not exist. The publisher asks as the caller it serves."""
import secrets

import grpc
import pytest

from demo import load_registry
from kernel.scope import Scope
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime import identity_tokens
from runtime.grpc_errors import reason_of
from runtime.identity_guard import serving_for
from runtime.identity_keys import IdentityKeys, local_identity_keys
from runtime.identity_tokens import SignedAssertions
from services.publisher.adapters.scope_entitlements import ScopeEntitlements
from services.publisher.domain.run_context import Names
from services.scope.bootstrap import ScopeSettings, bootstrap, open_registry
from tests.integration.mesh_fixtures import OPERATOR, caller, channel_to, running

ALICE, BOB = "user:alice@leaf.health", "user:bob@leaf.health"
C001_GROUPS = ("C001-G01", "C001-G02")


@pytest.fixture
async def scope_stub(db_url):
    registry = open_registry(db_url)
    registry.replace(load_registry())
    async with running(bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=db_url), registry)) as address, \
            channel_to(address) as channel:
        stub = scope_pb2_grpc.ScopeServiceStub(channel)
        for principal, client, groups in ((ALICE, "C001", ()), (BOB, "C001", ("C001-G02",))):
            await stub.GrantEntitlement(scope_pb2.GrantEntitlementRequest(
                entitlement=scope_pb2.Entitlement(principal=principal, client_id=client, group_ids=groups),
                reason="names test"), metadata=caller(OPERATOR, operator=True))
        yield stub


def describe(client_id="C001", pbm_id="PBM_A", tpa_id="TPA_1", group_ids=C001_GROUPS):
    return scope_pb2.DescribeScopeRequest(client_id=client_id, pbm_id=pbm_id, tpa_id=tpa_id, group_ids=group_ids)


async def refusal(call) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await call
    return raised.value.code(), reason_of(raised.value), raised.value.details()


def group_names() -> dict[str, str]:
    return {g["group_id"]: g["name"] for g in load_registry()["groups"]}


async def test_an_entitled_caller_gets_the_names_of_its_client_pbm_tpa_and_groups(scope_stub):
    registry = load_registry()
    reply = await scope_stub.DescribeScope(describe(group_ids=(*C001_GROUPS, "C002-G01")), metadata=caller(ALICE))
    assert reply.client_name == next(c["name"] for c in registry["clients"] if c["client_id"] == "C001")
    assert reply.pbm_name == next(p["name"] for p in registry["pbms"] if p["pbm_id"] == "PBM_A")
    assert reply.tpa_name == next(t["name"] for t in registry["tpas"] if t["tpa_id"] == "TPA_1")
    # Another client's group, though asked for by id, is not named: its name never reaches C001's deliverables.
    assert [(g.group_id, g.name) for g in reply.groups] == [(g, group_names()[g]) for g in C001_GROUPS]


async def test_a_caller_entitled_to_some_groups_gets_only_their_names(scope_stub):
    reply = await scope_stub.DescribeScope(describe(), metadata=caller(BOB))
    assert [g.group_id for g in reply.groups] == ["C001-G02"]


async def test_no_identity_is_refused_and_another_clients_scope_is_as_absent_as_an_unknown_one(scope_stub):
    code, reason, _ = await refusal(scope_stub.DescribeScope(describe()))
    assert (code, reason) == (grpc.StatusCode.UNAUTHENTICATED, "identity_missing")
    forged, _ = identity_tokens.sign(ALICE, (), False, IdentityKeys(("stranger", secrets.token_bytes(32))))
    assert (await refusal(scope_stub.DescribeScope(describe(), metadata=((identity_tokens.METADATA_KEY, forged),))))[0] \
        == grpc.StatusCode.UNAUTHENTICATED
    other = await refusal(scope_stub.DescribeScope(describe("C002", "PBM_C", "TPA_2", ("C002-G01",)),
                                                   metadata=caller(ALICE)))
    unknown = await refusal(scope_stub.DescribeScope(describe("C999", "PBM_C", None, ()), metadata=caller(ALICE)))
    assert other == unknown and other[:2] == (grpc.StatusCode.NOT_FOUND, "scope_not_found")
    assert "C002" not in other[2] and "Bluebird" not in other[2]


async def test_the_publisher_asks_as_the_caller_it_serves(scope_stub):
    """ScopeEntitlements.names_of forwards the served caller's identity: Alice's C001 gets names; a caller not
    entitled to the client gets the ids alone (the deliverables then show ids), never a refusal of the publication."""
    adapter = ScopeEntitlements(scope_stub, SignedAssertions(local_identity_keys()))
    scope = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", "TPA_1", ("C001-G01",))
    for who, expected_client in ((ALICE, "Acme Manufacturing"), ("user:nobody@leaf.health", None)):
        token = dict(caller(who))[identity_tokens.METADATA_KEY]
        with serving_for(identity_tokens.verify(token, local_identity_keys()), token):
            names = await adapter.names_of(scope)
        assert names.client == expected_client
        if expected_client is None:
            assert names == Names()
        else:
            assert names.pbm == "Meridian Rx Solutions" and names.groups == (("C001-G01", group_names()["C001-G01"]),)
