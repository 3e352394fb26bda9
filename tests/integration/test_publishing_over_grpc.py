"""Publishing over the real mesh: every artifact stored and listed, downloads verified, replay gives the same bytes,
a refused run stores nothing, and the Domo outbox gets the dashboard with row policies from the entitlement table.
The publisher reads the run from calc: a forged figure in the request changes no byte, and a run the caller's
grant does not cover is not found."""
import csv
import hashlib
import io
import json

import duckdb
import grpc
import pytest

from demo.generator import generate_claims
from kernel.scope import Scope
from leaf.calc.v1 import calc_pb2, calc_pb2_grpc
from leaf.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from leaf.scope.v1 import scope_pb2, scope_pb2_grpc
from runtime.convert import scope_to_proto
from runtime.db import open_database
from runtime.grpc_errors import from_rpc_error
from runtime.identity_keys import local_identity_keys
from runtime.identity_tokens import SignedAssertions
from runtime.keys import local_secret
from services.publisher.adapters.artifact_ledger import SqlArtifactLedger
from services.publisher.adapters.artifact_store import LocalArtifactStore
from services.publisher.adapters.calc_run import GrpcCalcRuns
from services.publisher.adapters.domo_outbox import DomoOutbox
from services.publisher.adapters.lease import SqlLease
from services.publisher.adapters.renderers import renderers
from services.publisher.adapters.repository import SqlPublicationRepository
from services.publisher.adapters.scope_entitlements import ScopeEntitlements
from services.publisher.bootstrap import MIGRATIONS
from services.publisher.service_layer.handlers import PublisherDeps, publish_run
from tests.integration.mesh_fixtures import (
    OPERATOR,
    acting_under,
    caller,
    channel_to,
    grant_for,
    grant_of,
    publishing_mesh,
    read_grant,
)

ARTIFACTS = {"run.json", "extract.csv", "extract.json", "extract.parquet", "report.xlsx", "report.pdf",
             "dashboard/readiness.csv",
             "dashboard/readiness.json", "dashboard/awp_discount_guarantee.csv", "dashboard/formula_totals.csv"}


@pytest.fixture(scope="module")
def claims_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("claims") / "claims.csv"
    generate_claims(path, n_claims=4000, seed=11)
    return path


def publisher_scope(scope_channel) -> ScopeEntitlements:
    """The scope service as a publisher of the test reads it: as workload:publisher, signed with the test's key."""
    return ScopeEntitlements(scope_pb2_grpc.ScopeServiceStub(scope_channel), SignedAssertions(local_identity_keys()))


async def download(stub, run_id: str, name: str, client_id: str) -> tuple[publisher_pb2.Artifact, bytes]:
    chunks = [c async for c in stub.GetArtifact(publisher_pb2.GetArtifactRequest(run_id=run_id, name=name),
                                                metadata=read_grant(client_id))]
    return chunks[0].artifact, b"".join(c.data for c in chunks)


async def test_a_published_run_lists_and_serves_every_artifact_verified(tmp_path, claims_csv, leaf_home):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel, channel_to(mesh["scope"]) as scope_channel:
        # Domo knows users and groups: a service token's entitlement gets no row policy (so sees nothing there).
        for principal in ("group:c001-analysts", "service:c001-analysts"):
            await scope_pb2_grpc.ScopeServiceStub(scope_channel).GrantEntitlement(scope_pb2.GrantEntitlementRequest(
                entitlement=scope_pb2.Entitlement(principal=principal, client_id="C001"), reason="test"),
                metadata=caller(OPERATOR, operator=True))
        exact = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
        grant = grant_for(exact)
        run = await calc_pb2_grpc.CalcServiceStub(calc_channel).CreateRun(calc_pb2.CreateRunRequest(
            scope=scope_to_proto(exact)), metadata=grant)
        publisher = publisher_pb2_grpc.PublisherServiceStub(publisher_channel)
        publication = await publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant)
        again = await publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant)
        listed = await publisher.ListArtifacts(publisher_pb2.ListArtifactsRequest(run_id=run.run_id),
                                               metadata=read_grant("C001"))
        downloads = {a.name: await download(publisher, run.run_id, a.name, "C001") for a in listed.artifacts}
        with pytest.raises(Exception) as foreign:
            await publisher.ListArtifacts(publisher_pb2.ListArtifactsRequest(run_id=run.run_id),
                                          metadata=read_grant("C002"))
        with pytest.raises(Exception) as foreign_download:
            await download(publisher, run.run_id, "report.pdf", "C002")

    names = {a.name for a in publication.artifacts}
    assert ARTIFACTS <= names and names == {a.name for a in listed.artifacts}
    assert list(again.artifacts) == list(publication.artifacts)  # publishing twice changes nothing
    for record, data in downloads.values():
        assert record.run_id == run.run_id and len(data) == record.size
        assert hashlib.sha256(data).hexdigest() == record.sha256
    assert json.loads(downloads["run.json"][1])["result"] == json.loads(run.result_json)
    assert downloads["report.pdf"][1].startswith(b"%PDF") and downloads["report.xlsx"][1].startswith(b"PK")
    extract = downloads["extract.csv"][1].decode()
    assert extract.splitlines()[0].startswith("run_id,row,claim_id,member_key")
    assert "member_id" not in extract and ",M0" not in extract
    assert_same_extract(extract, downloads["extract.json"][1], downloads["extract.parquet"][1], tmp_path)
    assert from_rpc_error(foreign.value).code == "publication_not_found"
    assert from_rpc_error(foreign_download.value).code == "publication_not_found"
    outbox = leaf_home / "domo_outbox" / "leaf_readiness"
    assert (outbox / "data.csv").read_text().count(run.run_id) == len(json.loads(run.result_json)["formulas"])
    policies = json.loads((outbox / "pdp.json").read_text())
    assert [(p["principal"], p["filters"][0]["values"]) for p in policies] == [("c001-analysts", ["C001"])]


def assert_same_extract(extract_csv: str, extract_json: bytes, extract_parquet: bytes, folder) -> None:
    """The three extract files hold the same rows; Parquet types amounts as DECIMAL and days as DATE, never float."""
    rows = list(csv.DictReader(io.StringIO(extract_csv)))
    assert len(rows) > 100
    as_json = json.loads(extract_json)
    assert [{k: str(v) for k, v in r.items()} for r in as_json] == rows
    assert all(isinstance(r["row"], int) and isinstance(r["quantity"], str) for r in as_json)
    (folder / "extract.parquet").write_bytes(extract_parquet)
    types = dict(duckdb.sql(f"DESCRIBE SELECT * FROM '{folder / 'extract.parquet'}'").fetchall()[i][:2]
                 for i in range(19))
    assert types["fill_date"] == "DATE" and types["awp_unit_price"] == "DECIMAL(18,5)"
    assert types["ingredient_cost_paid"] == "DECIMAL(18,2)" and types["compound"] == "BOOLEAN"
    assert not any("FLOAT" in t or "DOUBLE" in t for t in types.values())
    back = duckdb.sql(f"SELECT * FROM '{folder / 'extract.parquet'}'").fetchall()
    spelled = [[("Y" if v else "N") if isinstance(v, bool) else str(v) for v in row] for row in back]
    assert spelled == [list(r.values()) for r in rows]


async def test_replaying_a_run_gives_the_same_bytes_for_every_artifact(tmp_path, claims_csv, leaf_home):
    """The recorded run published again by a fresh publisher (own database and artifact folder): same bytes."""
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel, channel_to(mesh["scope"]) as scope_channel:
        calc = calc_pb2_grpc.CalcServiceStub(calc_channel)
        grant = grant_for(Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31"))
        run = await calc.CreateRun(calc_pb2.CreateRunRequest(
            scope=scope_to_proto(Scope.parse("C002", "PBM_C", "2025-01-01", "2025-12-31"))), metadata=grant)
        first = await publisher_pb2_grpc.PublisherServiceStub(publisher_channel).PublishRun(
            publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant)
        replica = tmp_path / "replica"
        engine = open_database(f"sqlite:///{replica}.sqlite", "publisher", MIGRATIONS)
        deps = PublisherDeps(SqlPublicationRepository(engine), LocalArtifactStore(replica), SqlArtifactLedger(engine),
                             GrpcCalcRuns(calc), publisher_scope(scope_channel), DomoOutbox(replica / "outbox"),
                             local_secret("pseudonym_key"), domo_lease=SqlLease(engine), renderers=renderers())
        with acting_under(grant):  # as the publisher service serving this grant: its calls to calc carry it on
            replayed = await publish_run(run.run_id, grant_of(grant), deps)
    assert {a.name: a.sha256 for a in first.artifacts} == {a.name: a.sha256 for a in replayed.artifacts}
    assert len(first.artifacts) == len(replayed.artifacts) and "extract.parquet" in {a.name for a in first.artifacts}
    for name in ("report.pdf", "report.xlsx", "extract.parquet", "extract.json"):  # the ones with embedded metadata
        assert (replica / run.run_id / name).read_bytes() == (leaf_home / "artifacts" / run.run_id / name).read_bytes()


def leaky_claims(claims_csv, folder):
    """The claims with a leak slipped into the source: a C001 2025 claim's drug name quoting a local path."""
    lines = claims_csv.read_text().splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    at = next(i for i, line in enumerate(lines)
              if ",C001,PBM_A," in line and ",PAID,," in line and ",2025-" in line)
    cells = lines[at].rstrip("\n").split(",")
    cells[header.index("drug_name")] = "see /home/analyst/notes.txt"
    lines[at] = ",".join(cells) + "\n"
    leaky = folder / "leaky.csv"
    leaky.write_text("".join(lines))
    return leaky


async def test_a_run_the_presentation_contract_refuses_publishes_nothing(tmp_path, claims_csv, leaf_home):
    from cli.commands.claims import load_claims

    load_claims(leaky_claims(claims_csv, tmp_path))
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel:
        grant = grant_for(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"))
        run = await calc_pb2_grpc.CalcServiceStub(calc_channel).CreateRun(calc_pb2.CreateRunRequest(
            scope=scope_to_proto(Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31"))), metadata=grant)
        publisher = publisher_pb2_grpc.PublisherServiceStub(publisher_channel)
        with pytest.raises(Exception) as refused:
            await publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run.run_id), metadata=grant)
        with pytest.raises(Exception) as nothing:
            await publisher.GetPublication(publisher_pb2.GetPublicationRequest(run_id=run.run_id), metadata=grant)
    error = from_rpc_error(refused.value)
    assert error.code == "presentation_contract:local_path" and "/home/analyst" not in error.message
    assert from_rpc_error(nothing.value).code == "publication_not_found"
    stored = [p for p in (leaf_home / "artifacts").rglob("*") if p.is_file()] if (leaf_home / "artifacts").exists() else []
    assert stored == [] and not (leaf_home / "domo_outbox").exists()


FORGED = "9999999.99"


def forged_request(run_id: str, forged: calc_pb2.Run) -> publisher_pb2.PublishRunRequest:
    """What a caller still speaking the old contract sends: the run id, and in field 1 a whole run whose figures it
    edited. Protobuf keeps the unknown field, so those bytes really reach the publisher."""
    body = forged.SerializeToString()
    length, size = bytearray(), len(body)
    while True:  # the field's length as a protobuf varint
        length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
        size >>= 7
        if not size:
            break
    wire = b"\x0a" + bytes(length) + body + publisher_pb2.PublishRunRequest(run_id=run_id).SerializeToString()
    request = publisher_pb2.PublishRunRequest.FromString(wire)
    assert request.run_id == run_id and body in request.SerializeToString()
    return request


async def test_a_forged_publish_publishes_calc_figures_only(tmp_path, claims_csv, leaf_home):
    """A caller with a valid grant names a real run and sends a different figure for it: every published byte is
    the one an unforged publication of that run gives."""
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    exact = Scope.parse("C001", "PBM_A", "2025-01-01", "2025-12-31")
    grant = grant_for(exact)
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel, channel_to(mesh["scope"]) as scope_channel:
        calc = calc_pb2_grpc.CalcServiceStub(calc_channel)
        run = await calc.CreateRun(calc_pb2.CreateRunRequest(scope=scope_to_proto(exact)), metadata=grant)
        result = json.loads(run.result_json)
        result["formulas"][0]["buckets"][0]["variance"] = FORGED
        forged = calc_pb2.Run()
        forged.CopyFrom(run)
        forged.result_json = json.dumps(result).encode()
        publisher = publisher_pb2_grpc.PublisherServiceStub(publisher_channel)
        published = await publisher.PublishRun(forged_request(run.run_id, forged), metadata=grant)
        downloads = {a.name: (await download(publisher, run.run_id, a.name, "C001"))[1] for a in published.artifacts}
        unforged = tmp_path / "unforged"
        engine = open_database(f"sqlite:///{unforged}.sqlite", "publisher", MIGRATIONS)
        deps = PublisherDeps(SqlPublicationRepository(engine), LocalArtifactStore(unforged), SqlArtifactLedger(engine),
                             GrpcCalcRuns(calc), publisher_scope(scope_channel), DomoOutbox(unforged / "outbox"),
                             local_secret("pseudonym_key"), domo_lease=SqlLease(engine), renderers=renderers())
        with acting_under(grant):
            honest = await publish_run(run.run_id, grant_of(grant), deps)
    assert FORGED.encode() not in b"".join(downloads.values())
    assert FORGED not in json.dumps([json.loads(t.rows_json) for t in published.tables])
    for name in ("run.json", "dashboard/awp_discount_guarantee.csv", "dashboard/formula_totals.csv"):
        assert downloads[name] == (unforged / run.run_id / name).read_bytes(), name
    assert {a.name: a.sha256 for a in published.artifacts} == {a.name: a.sha256 for a in honest.artifacts}
    assert json.loads(downloads["run.json"])["result"] == json.loads(run.result_json)
    domo = [(folder / "leaf_awp_discount_guarantee" / "data.csv").read_text()
            for folder in (leaf_home / "domo_outbox", unforged / "outbox")]
    assert FORGED not in domo[0] and domo[0] == domo[1]


async def test_an_unknown_run_or_one_outside_the_grant_is_not_found_and_publishes_nothing(tmp_path, claims_csv,
                                                                                       leaf_home):
    from cli.commands.claims import load_claims

    load_claims(claims_csv)
    c001, c002 = (Scope.parse(c, p, "2025-01-01", "2025-12-31") for c, p in (("C001", "PBM_A"), ("C002", "PBM_C")))
    async with publishing_mesh(tmp_path) as mesh, channel_to(mesh["calc"]) as calc_channel, \
            channel_to(mesh["publisher"]) as publisher_channel:
        other = await calc_pb2_grpc.CalcServiceStub(calc_channel).CreateRun(
            calc_pb2.CreateRunRequest(scope=scope_to_proto(c002)), metadata=grant_for(c002))
        publisher = publisher_pb2_grpc.PublisherServiceStub(publisher_channel)
        refusals = []
        for run_id in ("run_000000000000000000000000", other.run_id):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await publisher.PublishRun(publisher_pb2.PublishRunRequest(run_id=run_id), metadata=grant_for(c001))
            refusals.append(refused.value)
        with pytest.raises(grpc.aio.AioRpcError) as nothing:
            await publisher.GetPublication(publisher_pb2.GetPublicationRequest(run_id=other.run_id),
                                           metadata=read_grant("C002"))
    for refused in refusals:
        assert refused.code() == grpc.StatusCode.NOT_FOUND and from_rpc_error(refused).code == "run_not_found"
    assert from_rpc_error(nothing.value).code == "publication_not_found"
    assert not (leaf_home / "artifacts").exists() and not (leaf_home / "domo_outbox").exists()
