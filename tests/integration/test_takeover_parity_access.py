"""Who reads a process's parity (card values are a client's aggregates): GetParity runs under the caller's verified
scope grant, answered when it covers the process's scope and NOT_FOUND otherwise — the very answer of a process with
no report, so nothing says one exists; a process with no scope is read by operators only. Over gRPC with grants
signed as the scope service signs them, and through the gateway with a real scope service issuing read grants from
entitlements."""
from __future__ import annotations

import contextlib

import grpc
import pytest

from kernel.grants import Area
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from services.gateway.adapters.dev_keys import mint_dev_token
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.plane import open_takeover_db
from services.takeover.adapters.process_registry import SqlProcessRegistry
from services.takeover.bootstrap import TakeoverSettings, bootstrap
from services.takeover.domain.processes import Process
from tests.integration.gateway_fixtures import gateway
from tests.integration.mesh_fixtures import as_operator, caller, channel_to, read_grant, running

AT = "2026-11-02T09:00:00Z"
SCOPE = {"client_id": "C001", "pbm_id": "PBM_A", "date_from": "2025-01-01", "date_to": "2025-01-31",
         "group_ids": "C001-G01"}
REPORT = {"report_id": "PR-1", "process": "gdr", "load_id": "LD-1", "cards": 1, "match": 1, "explained": 0,
          "unexplained": 0, "worst_difference": None,
          "packets": [{"card_id": "CARD-105", "classification": "match", "domo_value": "0.8125"}]}


@contextlib.asynccontextmanager
async def scope_service(folder, entitlements: dict[str, str]):
    """A scope service on the demo registry with `entitlements` (principal → client id) granted; yields its
    address (the gateway asks it for each caller's read grant)."""
    from demo import load_registry
    from services.scope.bootstrap import ScopeSettings, open_registry
    from services.scope.bootstrap import bootstrap as scope_bootstrap

    url = f"sqlite:///{folder / 'scope.sqlite'}"
    registry = open_registry(url)
    registry.replace(load_registry())
    async with running(scope_bootstrap(ScopeSettings(LEAF_SCOPE_DB_URL=url), registry)) as address, \
            channel_to(address) as channel:
        stub = scope_pb2_grpc.ScopeServiceStub(channel)
        for principal, client_id in entitlements.items():
            await stub.GrantEntitlement(scope_pb2.GrantEntitlementRequest(
                entitlement=scope_pb2.Entitlement(principal=principal, client_id=client_id), reason="the engagement"),
                metadata=caller("user:ops@leaf.example", operator=True))
        yield address


def define_with_reports(tmp_path) -> str:
    """gdr (scope C001, group C001-G01) and legacy (no scope), each with a kept report; returns the database URL."""
    url = f"sqlite:///{tmp_path / 'takeover.sqlite'}"
    engine = open_takeover_db(url)
    registry, reports = SqlProcessRegistry(engine), SqlParityReports(engine)
    registry.define(Process("gdr", "GDR", "user:o@leaf.example", ("CARD-105",), scope=SCOPE), AT)
    registry.define(Process("legacy", "Legacy", "user:o@leaf.example", ("CARD-105",)), AT)
    reports.write("gdr", REPORT)
    reports.write("legacy", {**REPORT, "process": "legacy"})
    engine.dispose()
    return url


async def test_get_parity_needs_a_grant_covering_the_process_scope(tmp_path):
    url = define_with_reports(tmp_path)
    settings = TakeoverSettings(LEAF_TAKEOVER_DB_URL=url, LEAF_TAKEOVER_LAKE_DIR=str(tmp_path / "lake"))
    async with running(bootstrap(settings)) as address, channel_to(address) as channel:
        stub = takeover_pb2_grpc.TakeoverServiceStub(channel)

        async def refused(process_id: str, metadata) -> tuple[grpc.StatusCode, str | None]:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await stub.GetParity(takeover_pb2.GetParityRequest(process_id=process_id), metadata=metadata)
            return err.value.code(), err.value.details()

        # entitled: the client as a whole, or exactly the process's group
        for entitled in (read_grant("C001"), read_grant(Area("C001", ("C001-G01",)))):
            read = await stub.GetParity(takeover_pb2.GetParityRequest(process_id="gdr"), metadata=entitled)
            assert (read.report_id, read.packets[0].domo_value) == ("PR-1", "0.8125")
        # another client, another group of the client, and an operator entitled elsewhere: as if no report existed
        absent = await refused("nothing", read_grant("C001"))
        assert absent[0] == grpc.StatusCode.NOT_FOUND
        for outside in (read_grant("C002"), read_grant(Area("C001", ("C001-G02",))), as_operator(read_grant("C002"))):
            assert await refused("gdr", outside) == absent[:1] + (absent[1].replace("nothing", "gdr"),)
        # no grant at all: the guard refuses before any lookup
        assert (await refused("gdr", caller()))[0] == grpc.StatusCode.PERMISSION_DENIED
        # a process with no scope: operators only (whatever their grant names)
        assert (await refused("legacy", read_grant("C001")))[0] == grpc.StatusCode.NOT_FOUND
        legacy = await stub.GetParity(takeover_pb2.GetParityRequest(process_id="legacy"),
                                      metadata=as_operator(read_grant("C002")))
        assert legacy.process == "legacy"
        # the workbook is GetParity's answer rendered: the same rule
        assert (await stub.GetParityWorkbook(takeover_pb2.GetParityRequest(process_id="gdr"),
                                             metadata=read_grant("C001"))).xlsx
        with pytest.raises(grpc.aio.AioRpcError) as sheet:
            await stub.GetParityWorkbook(takeover_pb2.GetParityRequest(process_id="gdr"), metadata=read_grant("C002"))
        assert sheet.value.code() == grpc.StatusCode.NOT_FOUND


async def test_the_gateway_sends_the_callers_read_grant(tmp_path):
    url = define_with_reports(tmp_path)
    settings = TakeoverSettings(LEAF_TAKEOVER_DB_URL=url, LEAF_TAKEOVER_LAKE_DIR=str(tmp_path / "lake"))
    entitlements = {"group:leaf-demo": "C001", "group:c002-analysts": "C002"}
    async with running(bootstrap(settings)) as address, scope_service(tmp_path, entitlements) as scope, \
            gateway({"takeover": address, "scope": scope}) as http:
        read = await http.get("/v1/takeover/processes/gdr/parity")  # the dev token: group leaf-demo, C001
        assert read.status_code == 200, read.text
        assert read.json()["packets"][0]["domo_value"] == "0.8125"
        other = {"Cf-Access-Jwt-Assertion": mint_dev_token(email="b@leaf.example", groups=("c002-analysts",))}
        hidden = await http.get("/v1/takeover/processes/gdr/parity", headers=other)
        missing = await http.get("/v1/takeover/processes/nothing/parity", headers=other)
        assert (hidden.status_code, hidden.json()["code"]) == (missing.status_code, missing.json()["code"]) == (
            404, "parity_not_found")
        assert (await http.get("/v1/takeover/processes/legacy/parity")).status_code == 404  # no scope, no operator
