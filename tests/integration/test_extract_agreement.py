"""extract.csv agrees to the byte between the mesh (calc streams the netted claims with their per-formula reasons,
the publisher writes them) and `leaf report` (the pure path), and every bucket re-derives from its own rows.

The lineage's rebates_received_other agrees too, and names the rebates the result sums into received_other.
"""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from demo import ONEDRIVE_DIR
from demo.generator import generate_claims
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from runtime.convert import scope_to_proto
from tests.integration.mesh_fixtures import channel_to, grant_for, publishing_mesh, read_grant

LEAF = Path(sys.executable).parent / "leaf"
RUNS = {  # client → (PBM, the proposal the run reprices with, if any)
    "C002": ("PBM_C", "PR-C002-PBMC-2026"),   # $96,000 of SPECIALTY rebates without a rebate term; a proposal
    "C006": ("PBM_B", None),                  # SPECIALTY claims without a contract term: no_term everywhere
}
ZERO = Decimal("0.00")


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=6000, seed=11)
    return path


async def published(client_id: str, proposal_id: str | None, folder) -> tuple[dict, bytes]:
    """The run computed and published through the mesh: its run.json and extract.csv as the API serves them."""
    scope = Scope.parse(client_id, RUNS[client_id][0], "2025-01-01", "2025-12-31")
    folder.mkdir()
    async with publishing_mesh(folder) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel:
        grant = grant_for(scope)
        run = await calc_pb2_grpc.CalcServiceStub(calc_channel).CreateRun(calc_pb2.CreateRunRequest(
            scope=scope_to_proto(scope), proposal_id=proposal_id or ""), metadata=grant)
        publisher = publisher_pb2_grpc.PublisherServiceStub(publisher_channel)
        await publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant)
        files = {}
        for name in ("run.json", "extract.csv"):
            chunks = [c async for c in publisher.GetArtifact(publisher_pb2.GetArtifactRequest(
                run_id=run.run_id, name=name), metadata=read_grant(client_id))]
            files[name] = b"".join(c.data for c in chunks)
    return json.loads(files["run.json"]), files["extract.csv"]


def reported(client_id: str, proposal_id: str | None, claims: Path, out: Path) -> tuple[dict, bytes]:
    """The same run by `leaf report` from the same files (LEAF_HOME, and so the pseudonym key, is the mesh's)."""
    pbm = RUNS[client_id][0]
    folder = ONEDRIVE_DIR / "Clients" / client_id / pbm
    evidence = ["--contract", str(folder / "contract-2025.packet.json")]
    if (folder / "rebates-2025.rebates.json").exists():
        evidence += ["--rebates", str(folder / "rebates-2025.rebates.json")]
    if proposal_id:
        evidence += ["--proposal", str(folder / "proposal-2026.proposal.json")]
    done = subprocess.run([str(LEAF), "report", "--claims", str(claims), *evidence, "--client", client_id, "--pbm", pbm,
                           "--from", "2025-01-01", "--to", "2025-12-31", "--out", str(out)], capture_output=True)
    assert done.returncode == 0, done.stderr
    return json.loads((out / "run.json").read_bytes()), (out / "extract.csv").read_bytes()


@pytest.mark.parametrize("client_id", sorted(RUNS))
async def test_the_mesh_and_leaf_report_write_the_same_extract(client_id, claims_csv, tmp_path, leaf_home):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    proposal_id = RUNS[client_id][1]
    service_run, service_extract = await published(client_id, proposal_id, tmp_path / "mesh")
    offline_run, offline_extract = reported(client_id, proposal_id, claims_csv, tmp_path / "report")
    assert service_run["run_id"] == offline_run["run_id"] and service_run["result"] == offline_run["result"]
    assert service_extract == offline_extract
    assert service_run["lineage"]["rebates_received_other"] == offline_run["lineage"]["rebates_received_other"]
    rows = list(csv.DictReader(io.StringIO(service_extract.decode("utf-8"))))
    assert_every_bucket_rederives(service_run["result"], rows)
    if client_id == "C002":
        rebate = next(f for f in service_run["result"]["formulas"] if f["id"] == "rebate_guarantee")
        assert service_run["lineage"]["rebates_received_other"] == [{"channel": "SPECIALTY", "amount": "96000.00"}]
        assert rebate["received_other"] == "96000.00"


def assert_every_bucket_rederives(result: dict, rows: list[dict]) -> None:
    """Each awp, fee, rebate and repricing bucket, and each excluded count, from the extract's rows alone."""
    columns = {"awp_discount_guarantee": "awp_discount_excluded", "dispensing_fee_guarantee": "dispensing_fee_excluded",
               "rebate_guarantee": "rebate_excluded", "repricing_savings": "repricing_excluded"}
    for formula in result["formulas"]:
        column = columns.get(formula["id"])
        if column is None:
            continue
        sums: dict = defaultdict(lambda: defaultdict(Decimal))
        excluded = dict.fromkeys(formula["excluded"], 0)
        for row in rows:
            cell = row[column]
            if cell == "":
                bucket = sums[(row["channel"], row["brand_generic"])]
                bucket["claims"] += 1
                for field in ("awp_ext", "ingredient_cost_paid", "dispensing_fee_paid"):
                    bucket[field] += Decimal(row[field])
            elif cell != "n/a":
                excluded[cell] += 1
        assert excluded == formula["excluded"], formula["id"]
        for bucket in formula["buckets"]:
            got = sums[(bucket["channel"], bucket["brand_generic"])]
            claims = bucket.get("claims", bucket.get("brand_claims"))
            assert got["claims"] == claims, (formula["id"], bucket)
            expected = {"awp": got["awp_ext"], "ingredient_cost": got["ingredient_cost_paid"],
                        "fees": got["dispensing_fee_paid"],
                        "current_cost": got["ingredient_cost_paid"] + got["dispensing_fee_paid"]}
            for field, value in expected.items():
                if field in bucket:
                    assert Decimal(bucket[field]) == value + ZERO, (formula["id"], bucket, field)
    assert {r[c] for r in rows for c in columns.values()} <= {"", "uc", "compound", "zero_awp", "no_term", "n/a"}
