"""CompareParity and GetParityWorkbook over gRPC on a real takeover server wired as `python -m services.takeover`
builds it (bootstrap, CALC_ADDR a real calc server): an operator with an exact grant of the process's scope makes
and keeps a report with calc's values and the row diff; anyone else is refused and nothing is kept; the workbook
is GetParity's report rendered."""
from __future__ import annotations

import io

import grpc
import pytest
from openpyxl import load_workbook

from kernel.grants import Area
from kernel.scope import Scope
from leaf.takeover.v1 import takeover_pb2, takeover_pb2_grpc
from runtime import grant_tokens
from runtime.grant_keys import local_grant_keys
from runtime.grpc_errors import from_rpc_error
from services.takeover.adapters.parity_reports_sql import SqlParityReports
from services.takeover.adapters.process_registry import SqlProcessRegistry
from services.takeover.bootstrap import TakeoverSettings, bootstrap
from services.takeover.domain.processes import Process, process_scope
from tests.integration.mesh_fixtures import OPERATOR, caller, channel_to, running
from tests.integration.test_takeover_compare_mesh import SCOPE, demo_load_and_calc

CARDS = {"CARD-105": "generic_dispensing_rate.gdr"}


def metadata(scope: Scope | None, operator: bool = True, areas=("C001",)):
    """The caller's identity (an operator's by default) and an exact grant of `scope`, or a read grant."""
    if scope is None:
        token, _, _ = grant_tokens.issue_read([Area(a) for a in areas], OPERATOR, local_grant_keys())
    else:
        token, _, _ = grant_tokens.issue(scope, OPERATOR, local_grant_keys())
    who = caller(OPERATOR, operator=True) if operator else caller("user:ana@leaf.example")
    return (*who, (grant_tokens.METADATA_KEY, token))


async def test_compare_parity_over_grpc(tmp_path):
    async with demo_load_and_calc(tmp_path) as (plane, load_id, calc, engine):
        registry = SqlProcessRegistry(engine)
        registry.define(Process("gdr", "Generic dispensing rate", "user:lead@leaf.example", tuple(CARDS),
                                card_formulas=CARDS, scope=SCOPE), "2026-11-02T09:00:00Z")
        settings = TakeoverSettings(LEAF_TAKEOVER_DB_URL=str(engine.url), LEAF_TAKEOVER_LAKE_DIR=str(plane.lake),
                                    CALC_ADDR=calc.address)
        async with running(bootstrap(settings)) as address, channel_to(address) as channel:
            stub = takeover_pb2_grpc.TakeoverServiceStub(channel)
            ask = takeover_pb2.CompareParityRequest(process_id="gdr", load_id=load_id)
            exact = process_scope(SCOPE)
            wider = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31", None, ("C001-G01",))
            refusals = [(metadata(exact, operator=False), "operator_required"),
                        (metadata(None), "scope_grant_not_exact"),
                        (metadata(wider), "scope_grant_not_exact")]
            for who, code in refusals:
                with pytest.raises(grpc.aio.AioRpcError) as refused:
                    await stub.CompareParity(ask, metadata=who)
                assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
                assert from_rpc_error(refused.value).code == code
            assert SqlParityReports(engine).latest_report("gdr") is None  # nothing made for a refused caller

            report = await stub.CompareParity(ask, metadata=metadata(exact))
            [packet] = report.packets
            assert packet.card_id == "CARD-105" and packet.classification == "match"
            assert packet.backend_formula == "generic_dispensing_rate.gdr@1" and packet.HasField("backend_value")
            assert packet.row_diff.backend_rows > 0 and packet.row_diff.only_backend == 0
            assert list(packet.row_diff.columns)[0] == "status" and packet.row_diff.rows[0].claim_id
            kept = SqlParityReports(engine).latest_report("gdr")
            assert kept["made_by"] == OPERATOR and kept["load_id"] == load_id and kept["run_id"]

            listed = await stub.ListProcesses(takeover_pb2.ListProcessesRequest(), metadata=metadata(None))
            assert dict(listed.processes[0].scope) == SCOPE

            book = await stub.GetParityWorkbook(takeover_pb2.GetParityRequest(process_id="gdr"),
                                                metadata=metadata(None))
            assert book.report_id == report.report_id and book.filename == f"parity-gdr-{report.report_id}.xlsx"
            cells = {str(c.value) for row in load_workbook(io.BytesIO(book.xlsx)).active.iter_rows() for c in row}
            assert {report.report_id, "CARD-105", packet.backend_value} <= cells
