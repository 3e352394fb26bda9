"""Evidence → calc → publisher as real gRPC servers: the run equals `leaf calc` byte for byte."""
import hashlib
import json
from argparse import Namespace

import grpc
import pytest

from cli.commands.calc import compute
from demo import ONEDRIVE_DIR, load_registry
from demo.generator import generate_claims
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.common.v1 import common_pb2
from leaf.evidence.v1 import evidence_pb2, evidence_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.grpc_errors import reason_of
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


def demo_proposal(client, pbm):
    return ONEDRIVE_DIR / "Clients" / client / pbm / "proposal-2026.proposal.json"


@pytest.mark.parametrize("client, pbm", [("C001", "PBM_A"), ("C002", "PBM_C")])
async def test_a_run_with_a_proposal_over_the_mesh_equals_leaf_calc_and_leaf_report_with_proposal(tmp_path, claims_csv,
                                                                                                  client, pbm):
    """The service's run with proposal_id and `leaf calc/report --proposal` on the same files: the same result
    bytes and the same run id, which is not the id of the run without the proposal."""
    from cli.commands.calc import read_claims_file
    from cli.commands.claims import load_claims
    from cli.offline_run import offline_context
    from kernel.packets import parse_contract, parse_proposal, parse_rebates

    load_claims(claims_csv)
    proposal_id = f"PR-{client}-{pbm.replace('_', '')}-2026"
    exact = Scope.parse(client, pbm, "2025-01-01", "2025-12-31")
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}"))
    async with running(evidence) as evidence_address:
        calc = calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence_address,
                                           LEAF_CALC_DB_URL=f"sqlite:///{tmp_path / 'c.sqlite'}"))
        async with running(calc) as calc_address, channel_to(calc_address) as channel:
            stub, scope, grant = calc_pb2_grpc.CalcServiceStub(channel), scope_to_proto(exact), grant_for(exact)
            plain = await stub.CreateRun(calc_pb2.CreateRunRequest(scope=scope), metadata=grant)
            asked = calc_pb2.CreateRunRequest(scope=scope, proposal_id=proposal_id)
            planned = await stub.PlanRun(asked, metadata=grant)
            run = await stub.CreateRun(asked, metadata=grant)

    folder = ONEDRIVE_DIR / "Clients" / client / pbm
    args = Namespace(claims=claims_csv, contract=folder / "contract-2025.packet.json",
                     rebates=folder / "rebates-2025.rebates.json", proposal=demo_proposal(client, pbm),
                     client=client, pbm=pbm, tpa=None, group=[], date_from="2025-01-01", date_to="2025-12-31")
    assert run.result_json == render(compute(args))  # `leaf calc --proposal`
    read = lambda path, parse: parse(json.loads(path.read_bytes()))  # noqa: E731
    context = offline_context(args, read_claims_file(claims_csv), read(args.contract, parse_contract),
                              read(args.rebates, parse_rebates), read(args.proposal, parse_proposal), b"k" * 32)
    assert run.run_id == planned.run_id == context.run_id != plain.run_id  # `leaf report --proposal`
    assert json.loads(run.result_json) == context.result
    assert context.lineage["input_hashes"] == dict(run.lineage.input_hashes)

    result = json.loads(run.result_json)
    assert result["formulas"][-1]["id"] == "repricing_savings" and result["inputs"]["proposal_id"] == proposal_id
    assert run.readiness == plain.readiness  # the audit's; repricing is modeled and never lowers it
    refs = {e.evidence_id: e for e in run.lineage.evidence}
    assert (refs[proposal_id].kind, refs[proposal_id].governance) == (common_pb2.PROPOSAL, common_pb2.PROPOSED)
    assert refs[proposal_id].sha256 == hashlib.sha256(demo_proposal(client, pbm).read_bytes()).hexdigest()


async def test_a_proposal_of_another_client_or_pbm_never_enters_a_run(tmp_path, claims_csv):
    import shutil

    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    tree = tmp_path / "onedrive"
    shutil.copytree(ONEDRIVE_DIR, tree)
    offer = json.loads(demo_proposal("C001", "PBM_A").read_text())
    (tree / "Clients/C003/PBM_A/proposal-2026.proposal.json").write_text(json.dumps(
        {**offer, "proposal_id": "PR-C003-PBMA-2026", "client_id": "C003", "pbm_id": "PBM_A"}))
    evidence = evidence_bootstrap(EvidenceServiceSettings(LEAF_EVIDENCE_DB_URL=f"sqlite:///{tmp_path / 'e.sqlite'}",
                                                          LEAF_CONTRACTS_DIR=str(tree)))
    async with running(evidence) as evidence_address:
        calc = calc_bootstrap(CalcSettings(EVIDENCE_ADDR=evidence_address,
                                           LEAF_CALC_DB_URL=f"sqlite:///{tmp_path / 'c.sqlite'}"))
        async with running(calc) as calc_address, channel_to(calc_address) as channel:
            stub = calc_pb2_grpc.CalcServiceStub(channel)
            c001 = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
            c003_b = Scope.parse("C003", "PBM_B", "2025-07-01", "2025-12-31")
            # A grant over C001 and a proposal_id of C002: the id is a reference, the grant is the scope.
            # C003's proposal for PBM_A on C003's PBM_B scope: the caller may see it, and is told it is the wrong PBM.
            for exact, proposal_id, refusal in (
                    (c001, "PR-C002-PBMC-2026", (grpc.StatusCode.NOT_FOUND, "proposal_not_found")),
                    (c003_b, "PR-C003-PBMA-2026", (grpc.StatusCode.INVALID_ARGUMENT, "scope_evidence_mismatch"))):
                for method in (stub.PlanRun, stub.CreateRun):
                    with pytest.raises(grpc.aio.AioRpcError) as refused:
                        await method(calc_pb2.CreateRunRequest(scope=scope_to_proto(exact), proposal_id=proposal_id),
                                     metadata=grant_for(exact))
                    assert (refused.value.code(), reason_of(refused.value)) == refusal
