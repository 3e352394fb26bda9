"""The shared server skeleton: health (NOT_SERVING until ready and on shutdown), reflection, error mapping, and the
caller identity every other method needs (health and reflection answer without one)."""
from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from demo import load_registry
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime.grpc_errors import from_rpc_error
from runtime.server import create_server, mark_when_ready
from services.scope.bootstrap import ScopeSettings, bootstrap, open_entitlements, open_registry
from services.scope.domain.entitlements import Entitlement, GrantEntitlement
from services.scope.service_layer.entitlements import grant_entitlement
from tests.integration.mesh_fixtures import PRINCIPAL, caller, channel_to, running


def scope_deps(tmp_path):
    """The scope service, its registry the demo's, the test caller entitled to C001 and C003."""
    registry = open_registry(f"sqlite:///{tmp_path / 'scope.sqlite'}")
    registry.replace(load_registry())
    for client in ("C001", "C003"):
        grant_entitlement(GrantEntitlement(Entitlement(PRINCIPAL, client), "local:tests", "the tests' caller"),
                          open_entitlements(registry), registry)
    return bootstrap(ScopeSettings(), registry)


async def health(channel, service=""):
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
    return reply.status


async def test_health_is_not_serving_until_ready_then_serving_then_not_serving_on_shutdown(tmp_path):
    deps = scope_deps(tmp_path)
    server, port = await create_server("127.0.0.1:0", deps)
    await server.start()
    async with channel_to(f"127.0.0.1:{port}") as channel:
        assert await health(channel) == health_pb2.HealthCheckResponse.NOT_SERVING
        await mark_when_ready(deps, interval=0.01)
        assert await health(channel) == health_pb2.HealthCheckResponse.SERVING
        assert await health(channel, "leaf.scope.v1.ScopeService") == health_pb2.HealthCheckResponse.SERVING
        await deps.health.enter_graceful_shutdown()
        assert await health(channel) == health_pb2.HealthCheckResponse.NOT_SERVING
    await server.stop(0)


async def test_reflection_lists_the_service_for_a_stock_client(tmp_path):
    async with running(scope_deps(tmp_path)) as address, channel_to(address) as channel:
        call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo()
        await call.write(reflection_pb2.ServerReflectionRequest(list_services=""))
        reply = await call.read()
        await call.done_writing()
        names = {s.name for s in reply.list_services_response.service}
    assert {"leaf.scope.v1.ScopeService", "grpc.health.v1.Health"} <= names


async def test_domain_error_travels_as_status_with_a_stable_reason(tmp_path):
    async with running(scope_deps(tmp_path)) as address, channel_to(address) as channel:
        stub = scope_pb2_grpc.ScopeServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await stub.ResolveScope(scope_pb2.ResolveScopeRequest(client_id="C001", date_from="2025-12-31",
                                                                  date_to="2025-01-01"), metadata=caller())
    assert failure.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert from_rpc_error(failure.value).code == "bad_input:scope"


async def test_resolve_scope_over_grpc(tmp_path):
    async with running(scope_deps(tmp_path)) as address, channel_to(address) as channel:
        stub = scope_pb2_grpc.ScopeServiceStub(channel)
        exact = await stub.ResolveScope(scope_pb2.ResolveScopeRequest(client_id="C001", pbm_id="PBM_A",
                                                                      date_from="2025-01-01", date_to="2025-12-31"),
                                        metadata=caller())
        ambiguous = await stub.ResolveScope(scope_pb2.ResolveScopeRequest(client_id="C003", date_from="2025-01-01",
                                                                          date_to="2025-12-31"), metadata=caller())
    assert exact.state == scope_pb2.EXACT
    assert exact.exact.scope_hash == "d610ee3c0b90fe585bd963e08104da6b4763950d6a9f943c1d46c1cb0342a5cd"
    assert ambiguous.state == scope_pb2.AMBIGUOUS and len(ambiguous.candidates) == 2


async def test_the_deprecated_scope_spellings_still_resolve(tmp_path):
    """client, pbm and tpa (fields 1-3) are deprecated for client_id, pbm_id and tpa_id: a caller built against the
    old contract still gets the same exact scope; where both are set, the new spelling wins."""
    async with running(scope_deps(tmp_path)) as address, channel_to(address) as channel:
        stub = scope_pb2_grpc.ScopeServiceStub(channel)
        window = {"date_from": "2025-01-01", "date_to": "2025-12-31"}
        new = await stub.ResolveScope(scope_pb2.ResolveScopeRequest(client_id="C001", pbm_id="PBM_A", **window),
                                      metadata=caller())
        old = await stub.ResolveScope(scope_pb2.ResolveScopeRequest(client="C001", pbm="PBM_A", **window),
                                      metadata=caller())
        both = await stub.ResolveScope(scope_pb2.ResolveScopeRequest(client_id="C001", pbm_id="PBM_A", client="C003",
                                                                     pbm="PBM_X", **window), metadata=caller())
    assert new.state == old.state == both.state == scope_pb2.EXACT
    assert new.exact.scope_hash == old.exact.scope_hash == both.exact.scope_hash


async def test_a_service_without_identity_keys_does_not_start(tmp_path):
    """Fail closed: a server that could not verify its callers would have to believe them."""
    with pytest.raises(ValueError, match="identity keys"):
        await create_server("127.0.0.1:0", replace(scope_deps(tmp_path), identity_keys=None))
