"""Evidence → calc → publisher as real gRPC servers: the run equals `leaf calc` byte for byte."""
import json
from argparse import Namespace

import pytest

from cli.commands.calc import compute
from demo import ONEDRIVE_DIR, load_registry
from demo.generator import generate_claims
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.scope import Scope
from services.calc.bootstrap import CalcSettings
from services.calc.bootstrap import bootstrap as calc_bootstrap
from services.calc.domain.calculate import render
from services.evidence.bootstrap import EvidenceServiceSettings
from services.evidence.bootstrap import bootstrap as evidence_bootstrap
from tests.integration.mesh_fixtures import channel_to, grant_for, publishing_mesh, read_grant, running

CLIENTS = [(p["client_id"], p["pbm_id"]) for p in load_registry()["plans"]]


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=6000, seed=7)
    return path


def offline(claims_csv, client, pbm, year, rebates=True):
    folder = ONEDRIVE_DIR / "Clients" / client / pbm
    rebate_file = folder / f"rebates-{year}.rebates.json"
    args = Namespace(claims=claims_csv, contract=folder / f"contract-{year}.packet.json",
                     rebates=rebate_file if rebates and rebate_file.exists() else None, proposal=None,
                     client=client, pbm=pbm, tpa=None, group=[], date_from=f"{year}-01-01", date_to=f"{year}-12-31")
    return render(compute(args))


async def test_a_run_over_the_mesh_equals_leaf_calc_and_is_published(tmp_path, claims_csv):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel:
        stub = calc_pb2_grpc.CalcServiceStub(calc_channel)
        exact = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
        scope, grant = scope_to_proto(exact), grant_for(exact)
        planned = await stub.PlanRun(calc_pb2.CreateRunRequest(scope=scope), metadata=grant)
        run = await stub.CreateRun(calc_pb2.CreateRunRequest(scope=scope), metadata=grant)
        again = await stub.CreateRun(calc_pb2.CreateRunRequest(scope=scope), metadata=grant)
        replanned = await stub.PlanRun(calc_pb2.CreateRunRequest(scope=scope), metadata=grant)
        for_itr = await stub.PlanRun(calc_pb2.CreateRunRequest(scope=scope, itr_request_id="a0B1"), metadata=grant)
        stored = await stub.GetRun(calc_pb2.GetRunRequest(run_id=run.run_id), metadata=read_grant("C001"))
        publication = await publisher_pb2_grpc.PublisherServiceStub(publisher_channel).PublishRun(
            publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant)

    assert run.result_json == offline(claims_csv, "C001", "PBM_A", 2025)
    assert again.run_id == run.run_id and stored.result_json == run.result_json
    # The plan names the run before it is computed, and knows it once it is; other inputs are another run.
    assert (planned.run_id, planned.computed, replanned.run_id, replanned.computed) == (run.run_id, False, run.run_id, True)
    assert for_itr.run_id != run.run_id and not for_itr.computed
    assert {e.evidence_id for e in run.lineage.evidence} == {"CP-C001-PBMA-2025", "RB-C001-PBMA-2025"}
    tables = {t.name: json.loads(t.rows_json) for t in publication.tables}
    assert {"readiness", "awp_discount_guarantee", "formula_totals"} <= set(tables)
    for rows in tables.values():
        for row in rows:
            assert row["run_id"] == run.run_id and row["scope_hash"] == run.scope.scope_hash
            assert "member_id" not in row


async def test_evidence_never_answers_for_another_client_or_pbm(tmp_path):
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}"))
    async with running(evidence) as address, channel_to(address) as channel:
        stub = evidence_pb2_grpc.EvidenceServiceStub(channel)
        for client, pbm in CLIENTS:
            for year in (2024, 2025):
                exact = Scope.parse(client, pbm, f"{year}-01-01", f"{year}-12-31")
                for method in (stub.FindContractPacket, stub.FindRebateEvidence):
                    reply = await method(evidence_pb2.FindEvidenceRequest(scope=scope_to_proto(exact)),
                                         metadata=grant_for(exact))
                    if reply.found:
                        assert (reply.packet.client_id, reply.packet.pbm_id) == (client, pbm)
                        assert json.loads(reply.packet.body_json)["client_id"] == client
        unknown = Scope.parse("C999", "PBM_A", "2025-01-01", "2025-12-31")
        assert not (await stub.FindContractPacket(evidence_pb2.FindEvidenceRequest(scope=scope_to_proto(unknown)),
                                                  metadata=grant_for(unknown))).found


async def test_a_run_without_covering_contract_is_blocked_not_substituted(tmp_path, claims_csv):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}"))
    async with running(evidence) as evidence_address:
        calc = calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence_address, LEAF_CALC_DB_URL=f"sqlite:///{tmp_path / 'c.sqlite'}"))
        async with running(calc) as calc_address, channel_to(calc_address) as channel:
            exact = Scope.parse("C001", "PBM_A", "2023-01-01", "2023-12-31")
            run = await calc_pb2_grpc.CalcServiceStub(channel).CreateRun(
                calc_pb2.CreateRunRequest(scope=scope_to_proto(exact)), metadata=grant_for(exact))
    result = json.loads(run.result_json)
    awp = result["formulas"][0]
    assert awp["status"] == "blocked" and "contract_evidence_missing" in awp["reasons"]
    assert result["inputs"]["contract_packet_id"] is None
