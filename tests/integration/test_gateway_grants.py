"""The gateway's read-grant cache against a real scope service: one call per caller however many ask at once, no
caller waiting on another's, an empty grant never kept, and an entitlement change seen at once on this gateway."""
import asyncio

import jwt
import pytest

from demo import load_registry
from leaf.scope.v1 import scope_pb2_grpc
from runtime.identity_keys import local_identity_keys
from runtime.identity_tokens import SignedAssertions
from services.gateway.adapters.callers import CallerAssertions
from services.gateway.adapters.grants import Grants
from services.gateway.adapters.mesh import Mesh
from services.gateway.domain.identity import Identity
from services.gateway.service_layer import entitlements as admin
from services.scope.bootstrap import ScopeSettings, bootstrap, open_entitlements, open_registry
from services.scope.domain.entitlements import Entitlement, GrantEntitlement
from services.scope.service_layer.entitlements import grant_entitlement
from tests.integration.mesh_fixtures import channel_to, running

OPERATORS = "leaf-operators"
DANA = Identity.user("dana@leaf.health", "sub-dana", ("leaf-demo",))
ERIN = Identity.user("erin@leaf.health", "sub-erin")
OPS = Identity.user("ops@leaf.health", "sub-ops", (OPERATORS,))


class ObservedScope:
    """The real ScopeService stub, counting IssueScopeGrant calls per caller and holding back a caller on demand."""

    def __init__(self, stub) -> None:
        self.stub = stub
        self.calls: list[str] = []
        self.held: dict[str, asyncio.Event] = {}

    def __getattr__(self, name):
        return getattr(self.stub, name)

    async def IssueScopeGrant(self, request, metadata=(), **kwargs):
        who = jwt.decode(dict(metadata)["x-leaf-identity"], options={"verify_signature": False})["principal"]
        self.calls.append(who)
        if who in self.held:
            await self.held[who].wait()
        return await self.stub.IssueScopeGrant(request, metadata=metadata, **kwargs)


@pytest.fixture
async def scope(tmp_path):
    url = f"sqlite:///{tmp_path / 'scope.sqlite'}"
    registry = open_registry(url)
    registry.replace(load_registry())
    grant_entitlement(GrantEntitlement(Entitlement("group:leaf-demo", "C001"), "local:tests", "demo"),
                      open_entitlements(registry), registry)
    async with running(bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=url), registry)) as address, \
            channel_to(address) as channel:
        yield address, ObservedScope(scope_pb2_grpc.ScopeServiceStub(channel))


def callers() -> CallerAssertions:
    return CallerAssertions(SignedAssertions(local_identity_keys()), OPERATORS)


def areas(metadata) -> list:
    return jwt.decode(dict(metadata)["x-leaf-scope-grant"], options={"verify_signature": False})["areas"]


async def test_concurrent_misses_for_one_caller_share_one_call(scope):
    _, observed = scope
    grants = Grants(observed, callers(), timeout=10)
    answers = await asyncio.gather(*(grants.for_reads(DANA) for _ in range(8)))
    assert observed.calls == ["user:dana@leaf.health"] and len(set(answers)) == 1
    assert areas(answers[0]) == [["C001", []]]
    await grants.for_reads(DANA)
    assert len(observed.calls) == 1  # cached for half its life


async def test_a_caller_never_waits_for_another_callers_call(scope):
    _, observed = scope
    grants = Grants(observed, callers(), timeout=10)
    observed.held["user:dana@leaf.health"] = asyncio.Event()
    dana = asyncio.ensure_future(grants.for_reads(DANA))
    await asyncio.sleep(0.05)
    erin = await asyncio.wait_for(grants.for_reads(ERIN), timeout=5)  # served while Dana's call is still out
    assert not dana.done() and areas(erin) == []
    observed.held["user:dana@leaf.health"].set()
    assert areas(await dana) == [["C001", []]]


async def test_one_caller_giving_up_does_not_fail_the_others_waiting(scope):
    _, observed = scope
    grants = Grants(observed, callers(), timeout=10)
    observed.held["user:dana@leaf.health"] = asyncio.Event()
    first, second = asyncio.ensure_future(grants.for_reads(DANA)), asyncio.ensure_future(grants.for_reads(DANA))
    await asyncio.sleep(0.05)
    first.cancel()  # e.g. the browser closed its connection
    observed.held["user:dana@leaf.health"].set()
    assert areas(await second) == [["C001", []]] and observed.calls == ["user:dana@leaf.health"]


async def test_an_empty_grant_is_not_kept_so_a_new_entitlement_is_seen_next_time(scope, tmp_path):
    _, observed = scope
    grants = Grants(observed, callers(), timeout=10)
    assert areas(await grants.for_reads(ERIN)) == []
    registry = open_registry(f"sqlite:///{tmp_path / 'scope.sqlite'}")
    grant_entitlement(GrantEntitlement(Entitlement("user:erin@leaf.health", "C002"), "local:tests", "engagement"),
                      open_entitlements(registry), registry)
    assert areas(await grants.for_reads(ERIN)) == [["C002", []]]
    assert observed.calls == ["user:erin@leaf.health"] * 2


async def test_an_entitlement_change_through_this_gateway_drops_the_cached_grants_it_concerns(scope):
    address, observed = scope
    mesh = Mesh({"scope": address, "calc": address, "evidence": address, "publisher": address, "itr": address,
                 "tasks": address, "takeover": address}, callers(), 10)
    mesh.grants = Grants(observed, mesh.callers, 10)
    try:
        assert areas(await mesh.grants.for_reads(DANA)) == [["C001", []]]
        assert areas(await mesh.grants.for_reads(OPS)) == []
        await admin.revoke(mesh, OPS, OPERATORS, "group:leaf-demo", "C001", "engagement ended")
        assert areas(await mesh.grants.for_reads(DANA)) == []   # not the grant cached before the revoke
        await admin.grant(mesh, OPS, OPERATORS, "group:leaf-demo", "C002", [], "new engagement")
        assert areas(await mesh.grants.for_reads(DANA)) == [["C002", []]]
        assert observed.calls.count("user:dana@leaf.health") == 3
    finally:
        await mesh.close()
